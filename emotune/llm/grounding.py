"""Checks that the model's summary says only what was measured. Small models copy their worked examples
("tonight", "a little lower than before") or name an emotion that was barely seen; such a summary is
rejected like broken JSON (retry, then the fallback), so the user never reads an invented mood. Earlier days
("than yesterday") may be named only when the request carried the user's journal, and only as it says."""
from __future__ import annotations

import re

from typing import Sequence

from emotune.core.history import MoodSummary
from emotune.core.window_shape import describe, last_span_words
from emotune.llm.values import LOOKED, JournalDay, second_emotion, span_words, top_emotion

# Words that name each FER emotion in a summary (the mood labels and common forms).
EMOTION_WORDS: dict[str, tuple[str, ...]] = {
    "angry": ("angry", "anger", "annoyed", "irritated", "frustrated", "mad"),
    "disgust": ("disgust", "disgusted", "repulsed"),
    "fear": ("fear", "afraid", "scared", "fearful", "frightened", "anxious", "nervous", "worried"),
    "happy": ("happy", "happiness", "joy", "joyful", "cheerful", "glad", "smiling"),
    "sad": ("sad", "sadness", "unhappy", "feeling down", "feel down", "melancholic", "gloomy", "blue"),
    "surprise": ("surprise", "surprised", "astonished", "amazed"),
    "neutral": ("neutral", "calm", "relaxed", "composed"),
}
_TIMES = {"morning": ("morning",), "afternoon": ("afternoon",), "evening": ("evening",),
          "night": ("night", "tonight", "late")}
# Phrases that belong to some times of day only: a small model copies "ease you into the day" from the morning
# example into a night's summary, after a correct "Tonight,". The afternoon is let pass ("into the day" is odd
# there, not wrong): rejected, the model wrote it again on the retry and the user got the plain summary instead.
_TIME_PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("into the day", "the day ahead", "start the day", "start your day", "wake you up"): ("morning", "afternoon"),
    ("into the night", "through the night", "before bed", "off to sleep"): ("evening", "night"),
}
_UP = ("rising", "lifting", "higher than", "better than", "brighter than", "improving", "picking up")
_DOWN = ("falling", "dipping", "lower than", "worse than", "sinking", "declining")
_REPEAT = re.compile(r"(\b\w.{3,40}?)(?:\W+\1\b){2,}")   # the same words three times in a row
# Earlier days: any of these needs the journal; a comparison with a day needs that day's valence to agree.
_PAST = ("yesterday", "last week", "this week", "lately", "recently", "recent days", "few days", "past days",
         "last days", "previous days", "earlier days", "other day", "days ago")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_DAYS_AGO = re.compile(r"\b(\d+|one|two|three|four|five|six|seven)\s+days\s+ago\b")
_UP_WORDS = ("higher", "better", "brighter", "happier", "lighter", "more pleasant")
_DOWN_WORDS = ("lower", "worse", "darker", "sadder", "heavier", "less pleasant")
_DAY_COMPARE = re.compile(
    rf"\b(?P<dir>{'|'.join(_UP_WORDS + _DOWN_WORDS)})\s+than\s+(?:on\s+)?(?:the\s+)?"
    r"(?P<ref>yesterday|(?:last|past|previous|recent|earlier|other)\s+(?:few\s+)?days"
    r"|(?:\d+|one|two|three|four|five|six|seven)\s+days\s+ago)\b")
_SPAN = re.compile(r"\b(\d+)\s*(seconds?|secs?|minutes?|mins?)\b")
# What a summary says about the trend, each trend in the words a reply may use
TREND_WORDS: dict[str, tuple[str, ...]] = {
    "rising": _UP + ("going up", "climbing", "getting better", "brightening", "on the rise", "lifts", "rises"),
    "falling": _DOWN + ("going down", "dropping", "getting lower", "slipping", "sinks", "falls", "dips"),
    "steady": ("steady", "stable", "even", "unchanged", "holding", "constant", "settled", "level"),
}
_LIKED = re.compile(r"\b(?:you like|you love|you enjoy|your love of|your favou?rite|you prefer|liked|your)\s+"
                    r"([a-z][a-z&' -]{1,30})")
MIN_NAMED_SHARE = 0.05   # an emotion the summary names ("a little fear") must have held at least this share
MIN_LABEL_SHARE = 0.10   # an emotion the mood label stands for must have held at least this share

# The FER emotions each mood label stands for (see MOOD_LABELS); "content" and "calm" also fit neutral.
LABEL_EMOTIONS: dict[str, tuple[str, ...]] = {
    "happy": ("happy",), "content": ("happy", "neutral"), "calm": ("neutral", "happy"), "neutral": ("neutral",),
    "surprised": ("surprise",), "tense": ("angry", "disgust", "fear"), "anxious": ("fear",),
    "angry": ("angry", "disgust"), "sad": ("sad",),
}


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)


def grounding_problems(summary_text: str, measured: MoodSummary, time_of_day: str,
                       journal: Sequence[JournalDay] = ()) -> list[str]:
    """What the summary claims that the measurements (and the journal days given) do not support (empty when
    it is grounded)."""
    text = summary_text.lower()
    problems = _journal_problems(text, measured, journal)
    text = _DAY_COMPARE.sub(" ", text)   # checked against the journal above, not against the session's trend
    wrong_times = [t for t, words in _TIMES.items() if t != time_of_day and _has(text, words)]
    if wrong_times and not _has(text, _TIMES.get(time_of_day, ())):
        problems.append(f"summary says {wrong_times[0]} but it is {time_of_day}")
    for phrases, times in _TIME_PHRASES.items():
        said = [w for w in phrases if _has(text, (w,))]
        if said and time_of_day not in times:
            problems.append(f"summary says '{said[0]}' but it is {time_of_day}")
    if measured.trend != "falling" and _has(text, _DOWN):
        problems.append(f"summary says the mood is falling but it is {measured.trend}")
    if measured.trend != "rising" and _has(text, _UP):
        problems.append(f"summary says the mood is rising but it is {measured.trend}")
    measured_percents = {round(share * 100) for share in measured.shares.values()}
    measured_percents |= {round(day.share * 100) for day in journal}
    invented = [p for p in re.findall(r"(\d+)\s*%", text) if int(p) not in measured_percents]
    if invented:
        problems.append(f"summary gives {invented[0]}%, which was not measured")
    spans = {int(n) for span in (measured.dominant_held_s, measured.duration_s)
             for n in re.findall(r"\d+", span_words(span))}
    spans |= {round(measured.dominant_held_s), round(measured.duration_s)}
    if measured.shape is not None:   # the phases' spans the opening may give ("over the last 40 seconds")
        spans |= {int(n) for p in measured.shape.phases for n in re.findall(r"\d+", span_words(p.duration_s))}
    wrong_spans = [n for n, _unit in _SPAN.findall(text) if int(n) not in spans]
    if wrong_spans and not measured.manual:
        problems.append(f"summary says {wrong_spans[0]} seconds or minutes, which was not measured")
    if _REPEAT.search(text):
        problems.append("summary repeats itself")
    named = [e for e, words in EMOTION_WORDS.items() if _has(text, words)]
    if not any(e in named for e in (measured.dominant, top_emotion(measured))):
        problems.append(f"summary does not name the main emotion ({top_emotion(measured)})")
    rare = [e for e in _named_now(summary_text.lower(), journal) if measured.shares.get(e, 0.0) < MIN_NAMED_SHARE
            and e != measured.dominant]
    if rare:
        problems.append(f"summary names {rare[0]}, seen only {measured.shares.get(rare[0], 0.0):.0%} of the time")
    return problems


def coverage_problems(summary_text: str, measured: MoodSummary) -> list[str]:
    """What the summary leaves out that a reading must say: the trend, and the second emotion when it held
    at least SECOND_SHARE of the time (the main emotion is checked in grounding_problems)."""
    if measured.manual:
        return []
    text = _DAY_COMPARE.sub(" ", summary_text.lower())
    problems = []
    if changed(measured):   # the phases are the fuller account of the change ("at first, then more and more")
        if " at first" not in text:
            problems.append("summary does not tell how the mood changed")
        phased = {p.emotion for p in measured.shape.phases}
        second = second_emotion(measured)
        if second is not None and second[0] not in phased and not _has(text, EMOTION_WORDS.get(second[0], ())):
            problems.append(f"summary does not name the second emotion ({second[0]}, {second[1]:.0%})")
        return problems
    if not _has(text, TREND_WORDS.get(measured.trend, (measured.trend,))):
        problems.append(f"summary does not say the mood is {measured.trend}")
    second = second_emotion(measured)
    if second is not None and not _has(text, EMOTION_WORDS.get(second[0], (second[0],)) + (LOOKED.get(second[0], ""),)):
        problems.append(f"summary does not name the second emotion ({second[0]}, {second[1]:.0%})")
    return problems


_KEY_VALUE = re.compile(r"\b[a-z][a-z ]{0,24}:\s*\S")
_REQUEST_WORDS = ("main emotion", "second emotion", "mood trend", "time of day", "chosen music", "liked genres",
                  "genres to choose", "goal", "the person", "set by hand", "preferred languages", "mood journal")
_DATE = re.compile(r"\b(?:\d{4}|\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?)\b|\b(?:january|february|march|april|june|july|"
                   r"august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|"
                   r"sunday)\b")
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'll|i'd|me|my|mine|myself|we|we're|we've|our|ours|us)\b")
_MEASURED = ("measured", "you looked", "face was", "face looked", "face showed", "camera", "seemed", "appeared",
             "trend")   # not "your face" alone: "put a smile on your face" is no measurement


def echo_problems(summary_text: str, opening: str = "") -> list[str]:
    """The model's part of the summary repeats the request instead of speaking to the person: "key: value"
    lists ("Mood: angry, time: evening, goal: ..."), the request's own words, dates; or speaks as "I"/"we"."""
    text = summary_text.lower()
    if opening and text.startswith(opening.lower()):
        text = text[len(opening):]
    if _KEY_VALUE.search(text) or any(w in text for w in _REQUEST_WORDS) or _DATE.search(text):
        return ["summary echoes the request instead of speaking to you"]
    if _FIRST_PERSON.search(text):
        return ["summary speaks in the first person"]
    return []


# catalog genres that are everyday words too ("the world", "a gaming night"): genres only before "music" etc.
_EVERYDAY = {"world", "gaming", "country", "indian", "arabic", "brazilian", "latin", "classical"}


def genres_named(summary_text: str, known: Sequence[str] = ()) -> list[str]:
    """The genres a summary names: the usual genre words and the catalog's own (`known`)."""
    text = summary_text.lower().replace("hip hop", "hip-hop")
    words = dict.fromkeys([g.lower() for g in known] + list(_KNOWN_GENRES))
    after = r"\s+(?:music|songs?|sounds?|tunes|beats|tracks)"
    return [g for g in words if len(g) > 2 and re.search(
        rf"(?<![\w-]){re.escape(g)}(?![\w-]){after if g in _EVERYDAY else ''}", text)]


def music_word_problems(summary_text: str, shown: Sequence[str], liked: Sequence[str] = (),
                        known: Sequence[str] = ()) -> list[str]:
    """A genre the summary names must be one the list carries (the result's genres, `shown`) or one the user
    asked for (`liked`): "bright and energetic funk" over a list without funk tells the user something false."""
    allowed = {g.lower() for g in list(shown) + list(liked)}
    parts = {part for a in allowed for part in re.split(r"[\s-]+", a)}
    stray = [g for g in genres_named(summary_text, known) if g not in allowed and g not in parts]
    return [f"summary names {stray[0]}, which the list does not carry"] if stray else []


def hand_set_problems(summary_text: str, measured: MoodSummary, opening: str = "") -> list[str]:
    """A mood set by hand was not measured: the model's words may not speak of a face, a trend or a share."""
    if not measured.manual:
        return []
    text = summary_text.lower()
    if opening and text.startswith(opening.lower()):
        text = text[len(opening):]
    said = [w for w in _MEASURED if re.search(rf"\b{w}\b", text)] + (["%"] if "%" in text else [])
    return [f"summary speaks of a measurement ({said[0]!r}), but you set your mood by hand"] if said else []


def liked_problems(summary_text: str, liked: Sequence[str]) -> list[str]:
    """A taste the user did not state ("your love of jazz" from someone who listed none)."""
    text = summary_text.lower()
    stated = {g.lower() for g in liked}
    problems = []
    for match in _LIKED.finditer(text):
        words = match[1].split()
        claim = words[0]
        if claim in _OWN_WORDS or any(claim in g for g in stated):
            continue
        if any(claim == g or claim == g.split("-")[0] for g in _KNOWN_GENRES):
            problems.append(f"summary says you like {claim}, which you did not say")
    return problems


def copy_problems(summary_text: str, examples: frozenset[str], forced: str = "") -> list[str]:
    """A sentence taken whole from a worked example is the example's, not this person's (the time of day a
    sentence starts with aside: the grammar writes it). The `forced` sentence is ours (the retry's grammar
    writes it from the measurement), so it is no copy even where an example measured the same."""
    theirs = {without_time(s) for s in examples}
    ours = set(sentences(forced))
    copied = [s for s in sentences(summary_text) if s not in ours and without_time(s) in theirs]
    return [f"summary copies the worked example ({copied[0]!r})"] if copied else []


def without_time(sentence: str) -> str:
    """A sentence without the time of day it starts with ("this evening, ...")."""
    return re.sub(r"^(this (morning|afternoon|evening)|tonight|right now),\s*", "", sentence)


def restates(summary_text: str, deterministic: str) -> bool:
    """True when every sentence of the summary is, digits aside, one of the deterministic summary's (or very
    close to one): such a reply adds nothing a format string could not."""
    from difflib import SequenceMatcher

    def plain(sentence: str) -> str:
        return re.sub(r"[\d%()]+", "", sentence).strip()

    ours = [plain(s) for s in sentences(summary_text)]
    theirs = [plain(s) for s in sentences(deterministic)]
    return bool(ours) and all(any(SequenceMatcher(None, a, b).ratio() >= 0.85 for b in theirs) for a in ours)


def sentences(text: str) -> list[str]:
    """The text's sentences, lower case, without their closing mark (for comparing replies and examples)."""
    return [s.strip().lower().rstrip(".!?") for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


# words after "your" that are about the person, not a taste ("your mood", "your day")
_OWN_WORDS = {"mood", "day", "face", "evening", "morning", "afternoon", "night", "feeling", "feelings", "mind",
              "energy", "music", "tension", "spirits", "list", "playlist", "songs", "time", "week", "heart", "own"}
_KNOWN_GENRES = ("acoustic", "ambient", "blues", "classical", "country", "dance", "disco", "edm", "electronic",
                 "folk", "funk", "gospel", "grunge", "hip-hop", "house", "indie", "jazz", "k-pop", "latin", "metal",
                 "opera", "piano", "pop", "punk", "r&b", "r-n-b", "rap", "reggae", "rock", "salsa", "soul", "techno",
                 "trance", "lo-fi")


def _journal_problems(text: str, measured: MoodSummary, journal: Sequence[JournalDay]) -> list[str]:
    """Earlier days named without a journal, days the journal does not hold, comparisons it contradicts."""
    if not journal:
        return ["summary speaks of earlier days, but no journal was given"] if _has(text, _PAST) else []
    by_age = {day.days_ago: day for day in journal}
    problems = []
    asked = [_NUMBERS.get(n) or int(n) for n in _DAYS_AGO.findall(text)] + ([1] if _has(text, ("yesterday",)) else [])
    problems += [f"summary speaks of {_age(n)}, which the journal does not cover" for n in asked if n not in by_age]
    for match in _DAY_COMPARE.finditer(text):
        ref = match["ref"]
        if ref == "yesterday" or ref.endswith("ago"):
            day = by_age.get(1 if ref == "yesterday" else _NUMBERS.get(ref.split()[0]) or int(ref.split()[0]))
            if day is None:
                continue   # reported above
            before, what = day.valence, day.when
        else:
            before, what = sum(d.valence for d in journal) / len(journal), "the earlier days"
        up = match["dir"] in _UP_WORDS
        if (measured.valence > before) != up or measured.valence == before:
            problems.append(f"summary says the mood is {match['dir']} than {what}, but valence went from "
                            f"{before:+.2f} to {measured.valence:+.2f}")
    return problems


# the prompt's words for the chosen music ("dark and calm songs") and calming as an action ("calm you down")
# describe the music, not an emotion seen
# and what the music may make the person feel ("can make you feel calm and relaxed") is no emotion seen either
_MUSIC_WORDS = re.compile(r"\b(?:dark|mellow|bright)\s+and\s+(?:calm|moderate|energetic)\b"
                          r"|\bcalm(?:s|ing)?\s+(?:you|it|things|down|your)\b"
                          r"|\bcalm(?:ing)?\s+(?:songs?|music|sounds?)\b"
                          r"|\bfeel(?:s|ing)?\s+(?:more\s+|a\s+little\s+|so\s+)?[a-z]+(?:\s+and\s+[a-z]+)?"
                          r"|\b(?:bring|brings|give|gives|fill|fills)\s+(?:you\s+|your\s+\w+\s+)?(?:with\s+)?"
                          r"(?:a\s+)?[a-z]+(?:\s+and\s+[a-z]+)?|\bwith\s+joy\b")


def _named_now(text: str, journal: Sequence[JournalDay]) -> list[str]:
    """The emotions the summary says were seen now: a sentence that speaks of an earlier day may name that
    day's mood from the journal ("yesterday you looked sad"), any other sentence only what was measured."""
    text = _MUSIC_WORDS.sub(" ", text)
    named = []
    for sentence in re.split(r"[.;!?]+", text):
        earlier = {day.dominant for day in journal} if journal and _has(sentence, _PAST) else set()
        named += [e for e, words in EMOTION_WORDS.items() if e not in earlier and _has(sentence, words)]
    return list(dict.fromkeys(named))


def _age(days_ago: int) -> str:
    return "yesterday" if days_ago == 1 else f"{days_ago} days ago"


def label_problem(label: str, measured: MoodSummary) -> str | None:
    """Why the mood label does not fit the measurements, or None when it does."""
    fits = LABEL_EMOTIONS.get(label, ())
    if measured.dominant in fits or any(measured.shares.get(e, 0.0) >= MIN_LABEL_SHARE for e in fits):
        return None
    return f"mood {label!r} does not fit what was measured (mostly {top_emotion(measured)})"


def fitting_labels(measured: MoodSummary) -> tuple[str, ...]:
    """The mood labels that fit the measurements: the reply schema offers only these, so the grammar keeps
    the model from labelling an angry face "sad" (measured: 9 of 20 invalid replies before this)."""
    return tuple(label for label in LABEL_EMOTIONS if label_problem(label, measured) is None)


def measured_opening(measured: MoodSummary) -> str:
    """The summary's first sentence, which our code writes before the model's (a retry's grammar makes the
    model write it word for word). Over 50 histories, each of SmolLM2-135M's rejected replies had the main or
    second emotion, the span or the trend wrong or missing when it wrote them itself.
    - a mood set by hand: "You set your mood to sad." (nothing was measured: no share, span or trend);
    - a window in which another emotion led first (emotune.core.window_shape): its phases, "You looked neutral
      at first, then more and more angry over the last minute." (the smoother's trend sees only its last
      seconds and called such a window steady);
    - otherwise the main emotion, the second one when it held at least SECOND_SHARE, the real span and the
      trend: "You looked mostly sad over the last 2 minutes, at times neutral, and your mood is steady." ("over
      the last": the span ends now and is the captured window's at most, while the mood panel's "held" counts
      from whenever the emotion took the lead, so "for 10 seconds" beside "held 65 s" read as a contradiction)."""
    if measured.manual:
        return f"You set your mood to {measured.dominant}."
    if changed(measured):
        return describe(measured.shape)
    top = top_emotion(measured)
    second = second_emotion(measured)
    also = f", at times {LOOKED.get(second[0], second[0])}" if second else ""
    span = last_span_words(measured.dominant_held_s if measured.dominant == top else measured.duration_s)
    return f"You looked mostly {LOOKED.get(top, top)} over {span}{also}, and your mood is {measured.trend}."


def changed(measured: MoodSummary) -> bool:
    """True when the window had phases: another emotion led earlier than at its end."""
    return measured.shape is not None and measured.shape.changed


_NOUN_AFTER_LOOK = re.compile(r"\b(looked|look|seemed|seem|appeared|appear)( mostly| quite| a little)? "
                              r"(fear|disgust|surprise|anger|sadness|happiness)\b", re.IGNORECASE)
_ADJECTIVE = {"fear": "afraid", "disgust": "disgusted", "surprise": "surprised", "anger": "angry",
              "sadness": "sad", "happiness": "happy"}


def fix_wording(summary_text: str) -> str:
    """"You looked mostly fear" -> "You looked mostly afraid": small models copy the emotion's noun from the
    measurements into a sentence that needs the adjective."""
    return _NOUN_AFTER_LOOK.sub(lambda m: f"{m[1]}{m[2] or ''} {_ADJECTIVE[m[3].lower()]}", summary_text)


