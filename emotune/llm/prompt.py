"""The grounded prompt: built only from what was measured (the MoodSummary), the time of day, the user's
stated preferences, the genre list and, only when the user allowed it, one line of earlier days' journal
facts. No name, no image, no free text about the user reaches the model,
and every number in the request's message is one of the measured ones (a test checks it). The messages
before it (instructions and two worked examples) are fixed text, the same for every request, which also
lets llama.cpp reuse their evaluated tokens from one analysis to the next."""
from __future__ import annotations

import json

from emotune.core.history import MoodSummary
from emotune.llm.schema import GENRE_MAX_CHARS, MAX_GENRES, MAX_PHRASES, SUMMARY_MAX_CHARS
from emotune.llm.values import MAX_JOURNAL_DAYS, MOOD_LABELS, AnalysisRequest, JournalDay

MAX_OFFERED_GENRES = 40   # a long catalog list would crowd a small model's context; preferred ones go first
MAX_PREFERENCES = 5       # preferred genres/languages shown to the model, each cut to PREFERENCE_MAX_CHARS
PREFERENCE_MAX_CHARS = 40

SYSTEM = (
    "You are EmoTune's music assistant. You get measurements of a person's facial expressions from a webcam "
    "and suggest music. Use only the facts given; never invent anything about the person. Valence runs from "
    "-1 (unpleasant) to +1 (pleasant), arousal from -1 (calm) to +1 (activated). Reply with one JSON object:\n"
    f"- summary: one or two warm sentences to the person (\"you\"), at most {SUMMARY_MAX_CHARS - 60} "
    "characters, naming the main emotion and how the mood is moving, and nothing that was not measured;\n"
    f"- mood: one of {', '.join(MOOD_LABELS)};\n"
    "- target_valence: 0.0 (dark, sad music) to 1.0 (bright, happy music);\n"
    "- target_energy: 0.0 (calm, soft) to 1.0 (energetic, loud);\n"
    f"- search_phrases: up to {MAX_PHRASES} short music search queries;\n"
    f"- genres: up to {MAX_GENRES} genres from the given list."
)

# Three worked examples (fixed text, about nobody), one per goal and trend. A small model copies the form
# of the last example it saw, so each summary only restates its own measured facts (no percentages, no time
# of day): measured with SmolLM2-135M over 10 histories, examples with free prose ("tonight", "a little
# lower than before") were copied into 8 of 10 replies whatever was measured; these were grounded in 8.
EXAMPLES: tuple[tuple[str, dict], ...] = (
    (
        "Measured over the last 240 s (96 readings, up to 2 faces).\n"
        "Emotion shares: happy 62%, surprise 14%, neutral 12%, sad 5%, angry 3%, fear 2%, disgust 2%.\n"
        "Dominant emotion: happy, held for 150 s; trend: rising.\n"
        "Valence +0.52, arousal +0.41.\n"
        "Time of day: afternoon.\nPreferred genres: funk.\nGoal: match the current mood.",
        {"summary": "You looked mostly happy, with some surprise, and your mood is rising. Bright, lively music "
                    "will match it.",
         "mood": "happy", "target_valence": 0.8, "target_energy": 0.7,
         "search_phrases": ["feel good funk", "upbeat pop hits"], "genres": ["funk", "pop"]},
    ),
    (
        "Measured over the last 95 s (40 readings, 1 face).\n"
        "Emotion shares: sad 48%, neutral 30%, fear 9%, angry 5%, happy 4%, surprise 3%, disgust 1%.\n"
        "Dominant emotion: sad, held for 60 s; trend: falling.\n"
        "Valence -0.38, arousal -0.15.\n"
        "Time of day: night.\nGoal: lift the mood gently towards pleasant, starting close to where it is.",
        {"summary": "You looked mostly sad, and your mood is falling. Let's start soft and warm, then lift it "
                    "gently.",
         "mood": "sad", "target_valence": 0.45, "target_energy": 0.35,
         "search_phrases": ["gentle hopeful songs", "warm acoustic comfort"], "genres": ["acoustic", "soul"]},
    ),
    (
        "Measured over the last 180 s (70 readings, 1 face).\n"
        "Emotion shares: neutral 55%, angry 21%, happy 10%, sad 6%, surprise 4%, fear 2%, disgust 2%.\n"
        "Dominant emotion: neutral, held for 90 s; trend: steady.\n"
        "Valence -0.08, arousal +0.05.\n"
        "Time of day: morning.\nGoal: match the current mood.",
        {"summary": "You looked mostly neutral, with a little anger, and your mood is steady. Easy, even music "
                    "fits it.",
         "mood": "neutral", "target_valence": 0.45, "target_energy": 0.5,
         "search_phrases": ["mellow indie mix", "laid-back folk"], "genres": ["indie", "folk"]},
    ),
)

EXAMPLE_PHRASES = frozenset(p.lower() for _, reply in EXAMPLES for p in reply["search_phrases"])

_GOALS = {
    "match": "match the current mood",
    "lift": "lift the mood gently towards pleasant, starting close to where it is",
}


def offered_genres(request: AnalysisRequest) -> tuple[str, ...]:
    """The genres the model may pick: the user's preferred genres found in the list first, then the rest."""
    pool = request.offered_genres
    lower = {g.lower(): g for g in pool}
    preferred = [lower[p.lower()] for p in request.preferred_genres if p.lower() in lower]
    ordered = list(dict.fromkeys(preferred + list(pool)))
    return tuple(ordered[:MAX_OFFERED_GENRES])


def describe_measurements(request: AnalysisRequest) -> str:
    """The user message: the measured figures and the stated preferences, one fact a line."""
    s = request.summary
    shares = sorted(s.shares.items(), key=lambda kv: -kv[1])
    share_text = ", ".join(f"{emotion} {share * 100:.0f}%" for emotion, share in shares)
    faces = "1 face" if s.face_count == 1 else f"up to {s.face_count} faces"
    source = ("The mood was set by hand by the person, not measured." if s.manual
              else f"Measured over the last {s.duration_s:.0f} s ({s.samples} readings, {faces}).")
    lines = [
        source,
        f"Emotion shares: {share_text}.",
        f"Dominant emotion: {s.dominant}, held for {s.dominant_held_s:.0f} s; trend: {s.trend}.",
        f"Valence {s.valence:+.2f}, arousal {s.arousal:+.2f}.",
        f"Time of day: {request.time_of_day}.",
    ]
    if request.journal:
        lines.append(journal_line(request.journal))
    if request.preferred_genres:
        lines.append(f"Preferred genres: {_bounded(request.preferred_genres)}.")
    if request.preferred_languages:
        lines.append(f"Preferred languages: {_bounded(request.preferred_languages)}.")
    lines.append(f"Goal: {_GOALS[request.goal]}.")
    return "\n".join(lines)


def journal_line(days: tuple[JournalDay, ...]) -> str:
    """The user's journal of earlier days in one line (present only when the user allowed it)."""
    facts = "; ".join(f"{d.when} mostly {d.dominant} {d.share * 100:.0f}%, valence {d.valence:+.2f}" for d in days)
    return f"Mood journal, earlier days: {facts}."


def _bounded(items: tuple[str, ...]) -> str:
    return ", ".join(item[:PREFERENCE_MAX_CHARS] for item in items[:MAX_PREFERENCES])


def longest_prompt_chars() -> int:
    """Characters in the longest prompt any request can produce (for sizing the model's context)."""
    summary = MoodSummary(shares={f"emotion{i}": 0.999 for i in range(7)}, dominant="x" * 8,
                          dominant_held_s=99999.0, trend="x" * 8, valence=-1.0, arousal=-1.0, face_count=99,
                          duration_s=99999.0, samples=99999)
    long = tuple(f"{i}" + "x" * PREFERENCE_MAX_CHARS for i in range(MAX_PREFERENCES))
    genres = tuple(f"{i:02d}" + "x" * (GENRE_MAX_CHARS - 2) for i in range(MAX_OFFERED_GENRES))
    journal = tuple(JournalDay(99 + i, "surprise", 0.999, -1.0) for i in range(MAX_JOURNAL_DAYS))
    request = AnalysisRequest(summary, hour=0, preferred_genres=long, preferred_languages=long, goal="lift",
                              catalog_genres=genres, journal=journal)
    return sum(len(m["content"]) for m in build_messages(request))


def system_message(request: AnalysisRequest) -> str:
    """The instructions plus the catalog's genre list. The list is the same for every request of a session,
    so it sits in the prefix llama.cpp keeps evaluated instead of in each request (a third of its tokens)."""
    genres = request.offered_genres[:MAX_OFFERED_GENRES]
    listed = f"Genres to choose from: {', '.join(genres)}." if genres else "No genre list: leave genres empty."
    return f"{SYSTEM}\n{listed}"


def build_messages(request: AnalysisRequest) -> list[dict[str, str]]:
    """Chat messages for create_chat_completion; the model's own chat template formats them."""
    messages = [{"role": "system", "content": system_message(request)}]
    for user, reply in EXAMPLES:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": json.dumps(reply)}]
    return messages + [{"role": "user", "content": describe_measurements(request)}]
