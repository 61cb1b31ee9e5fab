"""Checks that the model's summary says only what was measured. Small models copy their worked examples
("tonight", "a little lower than before") or name an emotion that was barely seen; such a summary is
rejected like broken JSON (retry, then the fallback), so the user never reads an invented mood. Earlier days
("than yesterday") may be named only when the request carried the user's journal, and only as it says."""
from __future__ import annotations

import re

from typing import Sequence

from emotune.core.history import MoodSummary
from emotune.llm.values import LOOKED, JournalDay

# Words that name each FER emotion in a summary (the mood labels and common forms).
EMOTION_WORDS: dict[str, tuple[str, ...]] = {
    "angry": ("angry", "anger", "annoyed", "irritated", "frustrated", "mad"),
    "disgust": ("disgust", "disgusted", "repulsed"),
    "fear": ("fear", "afraid", "scared", "fearful", "frightened", "anxious", "nervous", "worried"),
    "happy": ("happy", "happiness", "joy", "joyful", "cheerful", "glad", "smiling"),
    "sad": ("sad", "sadness", "unhappy", "down", "melancholic", "gloomy", "blue"),
    "surprise": ("surprise", "surprised", "astonished", "amazed"),
    "neutral": ("neutral", "calm", "relaxed", "composed"),
}
_TIMES = {"morning": ("morning",), "afternoon": ("afternoon",), "evening": ("evening",),
          "night": ("night", "tonight", "late")}
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
    if measured.trend != "falling" and _has(text, _DOWN):
        problems.append(f"summary says the mood is falling but it is {measured.trend}")
    if measured.trend != "rising" and _has(text, _UP):
        problems.append(f"summary says the mood is rising but it is {measured.trend}")
    measured_percents = {round(share * 100) for share in measured.shares.values()}
    measured_percents |= {round(day.share * 100) for day in journal}
    invented = [p for p in re.findall(r"(\d+)\s*%", text) if int(p) not in measured_percents]
    if invented:
        problems.append(f"summary gives {invented[0]}%, which was not measured")
    if _REPEAT.search(text):
        problems.append("summary repeats itself")
    named = [e for e, words in EMOTION_WORDS.items() if _has(text, words)]
    if not any(e in named for e in (measured.dominant, _top(measured))):
        problems.append(f"summary does not name the main emotion ({_top(measured)})")
    rare = [e for e in _named_now(summary_text.lower(), journal) if measured.shares.get(e, 0.0) < MIN_NAMED_SHARE
            and e != measured.dominant]
    if rare:
        problems.append(f"summary names {rare[0]}, seen only {measured.shares.get(rare[0], 0.0):.0%} of the time")
    return problems


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


def _named_now(text: str, journal: Sequence[JournalDay]) -> list[str]:
    """The emotions the summary says were seen now: a sentence that speaks of an earlier day may name that
    day's mood from the journal ("yesterday you looked sad"), any other sentence only what was measured."""
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
    return f"mood {label!r} does not fit what was measured (mostly {_top(measured)})"


def fitting_labels(measured: MoodSummary) -> tuple[str, ...]:
    """The mood labels that fit the measurements: the reply schema offers only these, so the grammar keeps
    the model from labelling an angry face "sad" (measured: 9 of 20 invalid replies before this)."""
    return tuple(label for label in LABEL_EMOTIONS if label_problem(label, measured) is None)


def retry_opening(measured: MoodSummary) -> str:
    """The first sentence a retry must write (its schema forces it): the main emotion and the trend as
    measured: over 50 histories, each of SmolLM2-135M's 4 rejected first replies had one of the two wrong.
    "" for a mood set by hand."""
    if measured.manual:
        return ""
    top = _top(measured)
    return f"You looked mostly {LOOKED.get(top, top)}, and your mood is {measured.trend}."


_NOUN_AFTER_LOOK = re.compile(r"\b(looked|look|seemed|seem|appeared|appear)( mostly| quite| a little)? "
                              r"(fear|disgust|surprise|anger|sadness|happiness)\b", re.IGNORECASE)
_ADJECTIVE = {"fear": "afraid", "disgust": "disgusted", "surprise": "surprised", "anger": "angry",
              "sadness": "sad", "happiness": "happy"}


def fix_wording(summary_text: str) -> str:
    """"You looked mostly fear" -> "You looked mostly afraid": small models copy the emotion's noun from the
    measurements into a sentence that needs the adjective."""
    return _NOUN_AFTER_LOOK.sub(lambda m: f"{m[1]}{m[2] or ''} {_ADJECTIVE[m[3].lower()]}", summary_text)


def _top(measured: MoodSummary) -> str:
    return max(measured.shares, key=measured.shares.get) if measured.shares else measured.dominant
