"""The grounded prompt: built only from what was measured (the MoodSummary), the time of day, the user's
stated preferences, the genre list, the music already chosen from those numbers and, only when the user
allowed it, one line of earlier days' journal facts. No name, no image, no free text about the user reaches
the model, and every number in the request's message is one of the measured ones (a test checks it).

Designed for a 135M model (SmolLM2): the model writes words only. The numbers the music uses come from the
measurement (targets.py); the model gets them as words ("mellow and calm") to say why the music fits. One
worked example, the one whose main emotion is the request's, sits between the fixed instructions and the
request: a small model copies the form of the example it sees, so it sees the one that resembles its task
(an example per goal and trend, whatever the emotion, was copied into 8 of 10 summaries: "tonight", "0.45").
The instructions and the genre list stay the same all session, so llama.cpp keeps them evaluated; an
example's evaluated state is kept in memory too (engine.py), so a session whose mood holds evaluates only its
own request."""
from __future__ import annotations

import json
from dataclasses import dataclass

from emotune.core.emotions import signed
from emotune.core.history import MoodSummary
from emotune.llm.grounding import changed, sentences
from emotune.llm.schema import GENRE_MAX_CHARS, MAX_GENRES, MAX_PHRASES
from emotune.llm.targets import music_targets
from emotune.llm.values import MAX_JOURNAL_DAYS, AnalysisRequest, JournalDay, second_emotion, span_words, top_emotion

MAX_OFFERED_GENRES = 40   # a long catalog list would crowd a small model's context; preferred ones go first
MAX_PREFERENCES = 5       # preferred genres/languages shown to the model, each cut to PREFERENCE_MAX_CHARS
PREFERENCE_MAX_CHARS = 40

SYSTEM = (
    "You are EmoTune's music assistant. From webcam measurements of a person's face you write a short, warm "
    "reading of their mood and suggest music searches. Use only the facts given; never invent anything. "
    "When the person set their mood by hand, nothing was measured: speak of the mood they chose. "
    "Reply with one JSON object:\n"
    "- summary: one short sentence to the person (\"you\"), after the measured facts: it starts with the time "
    "of day and says why the chosen music fits, with the liked genres or earlier days when given;\n"
    f"- search_phrases: {MAX_PHRASES - 1} or {MAX_PHRASES} short searches for songs that fit the chosen music;\n"
    f"- genres: up to {MAX_GENRES} genres from the list."
)

# One worked example per main emotion (fixed text, about nobody). Each example's chosen music is one its
# emotion's requests rarely get (a happy face gets "bright and energetic" or, content, "bright and moderate";
# the happy example shows "bright and calm"), and its sentence names no genre: SmolLM2 then writes the
# request's own music words into the example's frame instead of taking the sentence whole (issue 25: a calm
# neutral face copied "mellow and moderate indie and folk neither push nor pull" with both seeds), and names
# no genre the list lacks.
# The summary the user reads is "You looked
# mostly <emotion> for <span>, [at times <second>,] and your mood is <trend>. <Time of day>, <why the music
# fits>."; our code writes the first sentence from the measurement (grounding.measured_opening) and the
# model the second (the reply's grammar starts it with the time of day), so the example's reply shows the
# second only, and the example need not match the request's second emotion or trend: one example per
# emotion, 7 prompt prefixes in all, each evaluated once a session (prefix_states.py; with an example per
# emotion, second emotion and trend, 42 prefixes, most analyses re-evaluated ~120 example tokens). The
# examples show no second emotion (SmolLM2 wrote the example's "with flashes of surprise" for histories without
# any), and their facts differ from one another so that a copied fact is caught by the grounding check.
@dataclass(frozen=True)
class Example:
    facts: str              # the user message
    summary: str            # the whole summary the user would read
    search_phrases: tuple[str, ...]
    genres: tuple[str, ...]

    @property
    def reading(self) -> str:
        """What the model writes of the summary: all but its first sentence, which our code writes."""
        return self.summary.split(". ", 1)[1]

    def messages(self) -> tuple[str, dict]:
        """The example as a user message and the model's reply."""
        return self.facts, {"summary": self.reading, "search_phrases": list(self.search_phrases),
                            "genres": list(self.genres)}


HAND_SET = "hand-set"   # the key of the example for a mood the user set by hand
EXAMPLES: dict[str, Example] = {
    "happy": Example(
        "Main emotion: happy (64%), held for about 3 minutes.\nMood trend: rising.\n"
        "Time of day: afternoon.\nLiked genres: funk.\nGoal: match the mood.\nChosen music: bright and calm.",
        "You looked mostly happy over the last 3 minutes, and your mood is rising. This afternoon, "
        "bright and calm songs keep that good feeling going.",
        ("sunny funk grooves", "upbeat dance hits"), ("funk", "dance")),
    "sad": Example(
        "Main emotion: sad (51%), held for about 70 seconds.\nMood trend: falling.\nTime of day: night.\n"
        "Goal: lift the mood gently.\nChosen music: mellow and calm.",
        "You looked mostly sad over the last minute, and your mood is falling. Tonight, mellow and "
        "calm songs can meet that feeling first, then lift it slowly.",
        ("gentle hopeful songs", "warm acoustic comfort"), ("acoustic", "soul")),
    # chosen music the calm, steady neutral faces do not get ("mellow and moderate"): with their own words in
    # the example's sentence, SmolLM2 took that sentence whole for 2 of 2 such histories and both fell back
    "neutral": Example(
        "Main emotion: neutral (71%), held for about 4 minutes.\nMood trend: steady.\n"
        "Time of day: morning.\nLiked genres: indie, folk.\nGoal: match the mood.\nChosen music: mellow and calm.",
        "You looked mostly neutral over the last 4 minutes, and your mood is steady. This morning, "
        "mellow and calm songs can ease you into the day.",
        ("quiet indie morning", "laid back folk"), ("indie", "folk")),
    "angry": Example(
        "Main emotion: angry (52%), held for about 40 seconds.\nMood trend: steady.\n"
        "Time of day: evening.\nLiked genres: rock.\nGoal: lift the mood gently.\nChosen music: mellow and moderate.",
        "You looked mostly angry over the last 40 seconds, and your mood is steady. This evening, mellow "
        "and moderate songs can let the tension out slowly.",
        ("mellow rock ballads", "calm after the storm"), ("rock", "blues")),
    "fear": Example(
        "Main emotion: fear (45%), held for about 2 minutes.\nMood trend: falling.\nTime of day: night.\n"
        "Goal: match the mood.\nChosen music: dark and moderate.",
        "You looked mostly afraid over the last 2 minutes, and your mood is falling. Tonight, dark and "
        "moderate songs can hold a restless mind.",
        ("soothing night piano", "calm ambient"), ("piano", "ambient")),
    "surprise": Example(
        "Main emotion: surprise (40%), held for about 20 seconds.\nMood trend: rising.\n"
        "Time of day: morning.\nLiked genres: electronic.\nGoal: match the mood.\nChosen music: mellow and moderate.",
        "You looked mostly surprised over the last 20 seconds, and your mood is rising. This morning, "
        "mellow and moderate songs fit that spark.",
        ("bright electronic beats", "fresh upbeat tracks"), ("electronic", "dance")),
    "disgust": Example(
        "Main emotion: disgust (38%), held for about 50 seconds.\nMood trend: steady.\n"
        "Time of day: afternoon.\nGoal: lift the mood gently.\nChosen music: mellow and calm.",
        "You looked mostly disgusted over the last minute, and your mood is steady. This afternoon, "
        "mellow and calm songs can clear the air.",
        ("warm soul grooves", "feel good classics"), ("soul", "funk")),
    # a mood set by hand: no share, span, trend or second emotion to tell, and the first sentence says so
    HAND_SET: Example(
        "Mood set by hand: sad.\nTime of day: afternoon.\nGoal: lift the mood gently.\n"
        "Chosen music: bright and calm.",
        "You set your mood to sad. This afternoon, bright and calm songs can keep you company and warm "
        "you up slowly.",
        ("rainy day acoustic", "slow sunday morning"), ("acoustic", "soul")),
}

EXAMPLE_PHRASES = frozenset(p.lower() for ex in EXAMPLES.values() for p in ex.search_phrases)
EXAMPLE_SENTENCES = frozenset(sentence for ex in EXAMPLES.values() for sentence in sentences(ex.summary))

TIME_ANCHORS = {"morning": "This morning,", "afternoon": "This afternoon,", "evening": "This evening,",
                "night": "Tonight,"}


def time_anchor(time_of_day: str) -> str:
    """How the summary's second sentence starts: the measured time of day."""
    return TIME_ANCHORS.get(time_of_day, "Right now,")


def reply_start(request: AnalysisRequest) -> str:
    """The words the reply's grammar forces at the start of the model's sentence: the time of day and the
    chosen music ("This evening, dark and calm songs"). Left to go on after "This evening,", SmolLM2 wrote
    "bright and moderate, I chose a few songs that I love" in 18 of 106 first replies (issue 25)."""
    return f"{time_anchor(request.time_of_day)} {music_targets(request.summary, request.goal).words()} songs"


_GOALS = {"match": "match the mood", "lift": "lift the mood gently"}


def offered_genres(request: AnalysisRequest) -> tuple[str, ...]:
    """The genres the model may pick: the user's preferred genres found in the list first, then the rest."""
    pool = request.offered_genres
    lower = {g.lower(): g for g in pool}
    preferred = [lower[p.lower()] for p in request.preferred_genres if p.lower() in lower]
    ordered = list(dict.fromkeys(preferred + list(pool)))
    return tuple(ordered[:MAX_OFFERED_GENRES])


def describe_measurements(request: AnalysisRequest) -> str:
    """The user message: the measured facts, the stated preferences and the chosen music, one a line."""
    s = request.summary
    top = top_emotion(s)
    if s.manual:   # nothing was measured: no share, span, trend or second emotion
        lines = [f"Mood set by hand: {s.dominant}."]
    else:
        # "held for": how long the latest dominant emotion has lasted; when the last moments differ from the
        # history's main emotion, the span it was the main one over
        held = f"held for {span_words(s.dominant_held_s)}" if s.dominant == top else f"over {span_words(s.duration_s)}"
        held = "" if changed(s) else f", {held}"   # a changed window is told by its phases below
        lines = [f"Main emotion: {top} ({s.shares.get(top, 0.0) * 100:.0f}%){held}."]
        if (second := second_emotion(s)) is not None:
            lines.append(f"Second emotion: {second[0]} ({second[1] * 100:.0f}%).")
        lines.append(f"Mood change: {phase_words(s)}." if changed(s) else f"Mood trend: {s.trend}.")
    if s.face_count > 1:
        lines.append(f"Faces: up to {s.face_count}.")
    lines.append(f"Time of day: {request.time_of_day}.")
    if request.journal:
        lines.append(journal_line(request.journal))
    if request.preferred_genres:
        lines.append(f"Liked genres: {_bounded(request.preferred_genres)}.")
    if request.preferred_languages:
        lines.append(f"Preferred languages: {_bounded(request.preferred_languages)}.")
    lines.append(f"Goal: {_GOALS[request.goal]}.")
    lines.append(f"Chosen music: {music_targets(s, request.goal).words()}.")
    return "\n".join(lines)


def phase_words(s: MoodSummary) -> str:
    """A changed window's phases in the prompt's words: "neutral first, then angry (growing)"."""
    phases = s.shape.phases
    words = ", then ".join(p.emotion for p in phases)
    return f"{words} (growing)" if s.shape.rising(phases[-1].emotion) else words


def journal_line(days: tuple[JournalDay, ...]) -> str:
    """The user's journal of earlier days in one line (present only when the user allowed it)."""
    facts = "; ".join(f"{d.when} mostly {d.dominant} {d.share * 100:.0f}%, valence {signed(d.valence)}" for d in days)
    return f"Mood journal, earlier days: {facts}."


def _bounded(items: tuple[str, ...]) -> str:
    return ", ".join(item[:PREFERENCE_MAX_CHARS] for item in items[:MAX_PREFERENCES])


def longest_prompt_chars() -> int:
    """Characters in the longest prompt any request can produce (for sizing the model's context)."""
    summary = MoodSummary(shares={f"emotion{i}": 0.4 - i * 0.01 for i in range(7)}, dominant="emotion0",
                          dominant_held_s=99999.0, trend="x" * 8, valence=-1.0, arousal=-1.0, face_count=99,
                          duration_s=99999.0, samples=99999)
    long = tuple(f"{i}" + "x" * PREFERENCE_MAX_CHARS for i in range(MAX_PREFERENCES))
    genres = tuple(f"{i:02d}" + "x" * (GENRE_MAX_CHARS - 2) for i in range(MAX_OFFERED_GENRES))
    journal = tuple(JournalDay(99 + i, "surprise", 0.999, -1.0) for i in range(MAX_JOURNAL_DAYS))
    request = AnalysisRequest(summary, hour=0, preferred_genres=long, preferred_languages=long, goal="lift",
                              catalog_genres=genres, journal=journal)
    example = max((ex.messages() for ex in EXAMPLES.values()), key=lambda ex: len(ex[0]) + len(json.dumps(ex[1])))
    return len(system_message(request)) + len(example[0]) + len(json.dumps(example[1])) + len(
        describe_measurements(request))


def system_message(request: AnalysisRequest) -> str:
    """The instructions plus the catalog's genre list. The list is the same for every request of a session,
    so it sits in the prefix llama.cpp keeps evaluated instead of in each request (a third of its tokens)."""
    genres = request.offered_genres[:MAX_OFFERED_GENRES]
    listed = f"Genres to choose from: {', '.join(genres)}." if genres else "No genre list: leave genres empty."
    return f"{SYSTEM}\n{listed}"


def example_key(request: AnalysisRequest) -> str:
    """Which worked example the request gets: the one for its main emotion ("sad"). Also the engine's key for
    the prompt prefix it keeps evaluated."""
    if request.summary.manual:
        return HAND_SET
    top = top_emotion(request.summary)
    return top if top in EXAMPLES else "neutral"


def example_for(request: AnalysisRequest) -> tuple[str, dict]:
    """The worked example that resembles the request: the one for its main emotion."""
    return EXAMPLES[example_key(request)].messages()


def build_messages(request: AnalysisRequest) -> list[dict[str, str]]:
    """Chat messages for create_chat_completion; the model's own chat template formats them. Every request,
    the retry included, gets the worked example for its main emotion: without it SmolLM2 drifts from the form."""
    user, reply = example_for(request)
    return [{"role": "system", "content": system_message(request)},
            {"role": "user", "content": user}, {"role": "assistant", "content": json.dumps(reply)},
            {"role": "user", "content": describe_measurements(request)}]
