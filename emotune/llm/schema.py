"""The JSON schema the model's reply is constrained to, and the check that turns a reply into a valid
result: parse, validate, repair what can be repaired (clip numbers, drop unknown genres, truncate text),
and say what was wrong when it cannot be.

Every string has a maxLength and every list a maxItems, so the grammar llama.cpp derives from the schema
cannot loop forever inside a string; `max_tokens` is sized from the same limits.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Sequence

from emotune.core.history import MoodSummary
from emotune.llm.grounding import fix_wording, grounding_problems, label_problem
from emotune.llm.values import MOOD_LABELS

SUMMARY_MAX_CHARS = 220
SUMMARY_MIN_CHARS = 20
PHRASE_MAX_CHARS = 40
GENRE_MAX_CHARS = 40
MAX_PHRASES = 3
MAX_GENRES = 3
FIELDS = ("summary", "mood", "target_valence", "target_energy", "search_phrases", "genres")

# Worst case is about one token per character inside strings, plus the keys and punctuation.
MAX_TOKENS = SUMMARY_MAX_CHARS // 2 + MAX_PHRASES * PHRASE_MAX_CHARS // 2 + MAX_GENRES * 8 + 80


# Numbers as a 0.05-step scale: the grammar for a free "number" lets a small model write 1000000000000.
UNIT_SCALE = {"type": "number", "enum": [round(k / 20, 2) for k in range(21)]}


# What may follow a forced opening: plain prose. A pattern replaces maxLength in llama.cpp's grammar, so the
# repetition bounds the length; the class keeps out quotes, backslashes and control characters (invalid JSON).
_PROSE = "[A-Za-z0-9 ,.;:!?'()%+-]"


def build_schema(genres: Sequence[str], moods: Sequence[str] = MOOD_LABELS, opening: str = "") -> dict:
    """The reply schema for one request: `moods` are the labels on offer (those that fit the measurements),
    `genres` the catalog's. `summary` comes first so it streams to the user first; with `opening` it must
    start with that sentence (the retry's, see grounding.retry_opening)."""
    if genres:
        genre_item = {"type": "string", "enum": list(dict.fromkeys(genres))}
        genre_list = {"type": "array", "items": genre_item, "maxItems": MAX_GENRES}
    else:
        genre_list = {"type": "array", "items": {"type": "string", "maxLength": GENRE_MAX_CHARS}, "maxItems": 0}
    return {
        "type": "object",
        "properties": {
            "summary": _summary_schema(opening),
            "mood": {"type": "string", "enum": list(moods or MOOD_LABELS)},
            "target_valence": UNIT_SCALE,
            "target_energy": UNIT_SCALE,
            "search_phrases": {
                "type": "array", "items": {"type": "string", "minLength": 1, "maxLength": PHRASE_MAX_CHARS},
                "maxItems": MAX_PHRASES,
            },
            "genres": genre_list,
        },
        "required": list(FIELDS),
        "additionalProperties": False,
    }


def _summary_schema(opening: str) -> dict:
    if not opening:
        return {"type": "string", "minLength": 1, "maxLength": SUMMARY_MAX_CHARS}
    if re.search(r"[\^$*+?()\[\]{}|\\\"]", opening):
        raise ValueError(f"a forced opening is plain words: {opening!r}")
    # "[.]", not "\.": llama-cpp-python copies "\." into the grammar, whose parser refuses it
    literal = opening.replace(".", "[.]")
    return {"type": "string", "pattern": f"^{literal}( {_PROSE}{{1,{SUMMARY_MAX_CHARS - len(opening) - 1}}})?$"}


@dataclass(frozen=True)
class Checked:
    """A reply that passed: the repaired fields, and notes on what was repaired."""

    summary: str
    mood: str
    target_valence: float
    target_energy: float
    search_phrases: tuple[str, ...]
    genres: tuple[str, ...]
    notes: tuple[str, ...] = ()


class InvalidReply(ValueError):
    """The reply cannot be used; the message lists why (it becomes the fallback's reason)."""


_JSONISH = re.compile(r'[{}\[\]]|"\s*:')
_SPACES = re.compile(r"\s+")


def check_reply(text: str, genres: Sequence[str], measured: MoodSummary | None = None,
                time_of_day: str = "", journal: Sequence = ()) -> Checked:
    """Validates and repairs a raw reply against the schema for `genres`; raises InvalidReply. With
    `measured`, the summary and mood label must also be grounded in it, and in the `journal` days given
    (see grounding.py)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = " (the reply was cut off)" if not text.rstrip().endswith("}") else ""
        raise InvalidReply(f"not valid JSON{cut}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidReply("the reply is not a JSON object")
    problems: list[str] = []
    notes: list[str] = []
    missing = [f for f in FIELDS if f not in data]
    if missing:
        raise InvalidReply(f"fields missing: {', '.join(missing)}")

    summary = _clean_text(data["summary"])
    if len(summary) < SUMMARY_MIN_CHARS:
        problems.append(f"summary too short ({len(summary)} characters)")
    elif _JSONISH.search(summary):
        problems.append("summary contains JSON syntax instead of prose")
    if len(summary) > SUMMARY_MAX_CHARS:
        summary = truncate_words(summary, SUMMARY_MAX_CHARS)
        notes.append("summary truncated")

    mood = str(data["mood"]).strip().lower()
    if mood not in MOOD_LABELS:
        problems.append(f"mood {data['mood']!r} is not one of the labels")

    targets = []
    for key in ("target_valence", "target_energy"):
        value, note = _unit_number(data[key], key)
        if value is None:
            problems.append(note)
        elif note:
            notes.append(note)
        targets.append(value)

    phrases = _clean_list(data["search_phrases"], PHRASE_MAX_CHARS, MAX_PHRASES, notes, "search phrase")
    if phrases is None:
        problems.append("search_phrases is not a list")
    elif not phrases:
        problems.append("no usable search phrase")
    picked = _known_genres(data["genres"], genres, notes)
    if picked is None:
        problems.append("genres is not a list")
    if measured is not None and not problems:
        if (fixed := fix_wording(summary)) != summary:
            summary = fixed
            notes.append("emotion wording fixed")
        problems += grounding_problems(summary, measured, time_of_day, journal)
        if (wrong := label_problem(mood, measured)) is not None:
            problems.append(wrong)
    if problems:
        raise InvalidReply("; ".join(problems))
    return Checked(summary, mood, targets[0], targets[1], tuple(phrases), tuple(picked), tuple(notes))


def truncate_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _clean_text(value: object) -> str:
    return _SPACES.sub(" ", str(value)).strip() if isinstance(value, str) else ""


def _unit_number(value: object, key: str) -> tuple[float | None, str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None, f"{key} is not a number"
    x = float(value)
    if 1.5 < x <= 100.0:   # a percentage instead of a fraction (1.0-1.5 is an overshoot, clipped below)
        return x / 100.0, f"{key} {value} read as a percentage"
    clipped = min(1.0, max(0.0, x))
    return clipped, (f"{key} {value} clipped to {clipped}" if clipped != x else "")


def _clean_list(value: object, max_chars: int, max_items: int, notes: list[str], what: str) -> list[str] | None:
    if not isinstance(value, list):
        return None
    out: list[str] = []
    seen: set[str] = set()
    for item in value:
        text = _clean_text(item)
        if not any(ch.isalpha() for ch in text) or text.lower() in seen:
            notes.append(f"empty or repeated {what} dropped")
            continue
        if len(text) > max_chars:
            text = truncate_words(text, max_chars)
            notes.append(f"{what} truncated")
        seen.add(text.lower())
        out.append(text)
    if len(out) > max_items:
        notes.append(f"{len(out) - max_items} extra {what}s dropped")
    return out[:max_items]


def _known_genres(value: object, genres: Sequence[str], notes: list[str]) -> list[str] | None:
    if not isinstance(value, list):
        return None
    by_key = {g.lower(): g for g in genres}
    out: list[str] = []
    for item in value:
        genre = by_key.get(_clean_text(item).lower())
        if genre is None:
            notes.append(f"unknown genre {item!r} dropped")
        elif genre not in out:
            out.append(genre)
    return out[:MAX_GENRES]
