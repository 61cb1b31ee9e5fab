"""The JSON schema the model's reply is constrained to, and the check that turns a reply into a valid
result: parse, validate, repair what can be repaired (clip numbers, drop unknown genres, truncate text),
and say what was wrong when it cannot be.

Every string has a maxLength and every list a maxItems, so the grammar llama.cpp derives from the schema
cannot loop forever inside a string; `max_tokens` is sized from the same limits.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Sequence

from emotune.core.history import MoodSummary
from emotune.llm.grounding import (copy_problems, coverage_problems, echo_problems, fix_wording,
                                   grounding_problems, hand_set_problems, liked_problems, measured_opening)

SUMMARY_MAX_CHARS = 240
SUMMARY_MIN_CHARS = 20
PHRASE_MAX_CHARS = 40
GENRE_MAX_CHARS = 40
MAX_PHRASES = 3
MAX_GENRES = 3
# Words only: the mood label and the music's numbers are computed from the measurements (targets.py); a small
# model copied its example's numbers into every reply.
FIELDS = ("summary", "search_phrases", "genres")

# Worst case is about one token per character inside strings, plus the keys and punctuation.
MAX_TOKENS = SUMMARY_MAX_CHARS // 2 + MAX_PHRASES * PHRASE_MAX_CHARS // 2 + MAX_GENRES * 8 + 40


# What the model writes after a forced start: prose without a sentence end. A pattern replaces maxLength in
# llama.cpp's grammar, so the repetition bounds the length; the class keeps out quotes, backslashes and control
# characters (invalid JSON).
_CLAUSE = "[A-Za-z0-9 ,;'()%+-]"


def build_schema(genres: Sequence[str], then: str = "", model_first: bool = True, first: str = "") -> dict:
    """The reply schema for one request: `genres` are the catalog's. `summary` comes first so it streams to
    the user first. With `then` (the time of day, "This evening,") the summary is a sentence that starts with
    those words, after a first sentence: `first` word for word when given (the retry's: the measured one, see
    grounding.measured_opening), else one the model writes itself when `model_first`. Without either, our
    code puts the measured first sentence before the reply's (check_reply's `opening`), so the model does not
    spend ~25 tokens (~0.6 s on a busy core) writing out words it is not free to choose. See `_summary_schema`."""
    if genres:
        genre_item = {"type": "string", "enum": list(dict.fromkeys(genres))}
        genre_list = {"type": "array", "items": genre_item, "maxItems": MAX_GENRES}
    else:
        genre_list = {"type": "array", "items": {"type": "string", "maxLength": GENRE_MAX_CHARS}, "maxItems": 0}
    return {
        "type": "object",
        "properties": {
            "summary": _summary_schema(then, model_first, first),
            "search_phrases": {
                "type": "array", "items": {"type": "string", "minLength": 1, "maxLength": PHRASE_MAX_CHARS,
                                           "pattern": PHRASE_PATTERN},
                "maxItems": MAX_PHRASES,
            },
            "genres": genre_list,
        },
        "required": list(FIELDS),
        "additionalProperties": False,
    }


# A search phrase as a person types it: two to four lower-case words ("rainy day acoustic", "late night drive");
# SmolLM2 wrote single words ("mellow", "folk") that nobody searches for, and the grammar now rules them out.
PHRASE_PATTERN = "^[a-z]{2,12}( [a-z]{1,12}){1,3}$"
SENTENCE_MAX_CHARS = 100   # each free part of a summary with a forced form (two of them fit SUMMARY_MAX_CHARS)


def _summary_schema(then: str, model_first: bool, first: str) -> dict:
    """Free text, or a pattern. A 135M model given two free sentences copied its example's time of day and
    rambled ("This morning ... This morning ..."); anchoring the sentence on the measured time of day leaves it
    the words that say why the music fits. The free parts hold no sentence end: the model's first full stop
    ends its first sentence, and the next ends the summary."""
    if not then:
        return {"type": "string", "minLength": 1, "maxLength": SUMMARY_MAX_CHARS}
    for words in (then, first):
        if re.search(r"[\^$*+?()\[\]{}|\\\"]", words):
            raise ValueError(f"forced words are plain words: {words!r}")
    if first:
        before = f"{_literal(first)} "
    else:
        before = f"{_CLAUSE}{{1,{SENTENCE_MAX_CHARS}}}[.] " if model_first else ""
    return {"type": "string", "pattern": f"^{before}{_literal(then)} {_CLAUSE}{{1,{SENTENCE_MAX_CHARS}}}[.]$"}


def _literal(words: str) -> str:
    # "[.]", not "\.": llama-cpp-python copies "\." into the grammar, whose parser refuses it
    return words.replace(".", "[.]")


@dataclass(frozen=True)
class Checked:
    """A reply that passed: the repaired fields, and notes on what was repaired."""

    summary: str
    search_phrases: tuple[str, ...]
    genres: tuple[str, ...]
    notes: tuple[str, ...] = ()


class InvalidReply(ValueError):
    """The reply cannot be used; the message lists why (it becomes the fallback's reason)."""


_JSONISH = re.compile(r'[{}\[\]]|"\s*:')
_SPACES = re.compile(r"\s+")


def check_reply(text: str, genres: Sequence[str], measured: MoodSummary | None = None,
                time_of_day: str = "", journal: Sequence = (), liked: Sequence[str] = (),
                examples: frozenset[str] = frozenset(), opening: str = "", then: str = "") -> Checked:
    """Validates and repairs a raw reply against the schema for `genres`; raises InvalidReply. With
    `measured`, the summary must also be grounded in it, in the `journal` days given and in the `liked`
    genres, cover what was measured, and copy no sentence of the worked `examples` (see grounding.py). The
    summary checked is `opening` (the first sentence our code wrote, if any) followed by the reply's. `then`
    is build_schema's forced start, if any: a free part that ran to the grammar's limit was cut mid-word."""
    data = _parsed(text)
    problems: list[str] = []
    notes: list[str] = []
    summary = _summary(data["summary"], then, opening, problems, notes)
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
        problems += liked_problems(summary, liked)
        problems += coverage_problems(summary, measured)
        problems += copy_problems(summary, examples, forced=measured_opening(measured))
        problems += echo_problems(summary, opening or measured_opening(measured))
        problems += hand_set_problems(summary, measured, opening or measured_opening(measured))
    if problems:
        raise InvalidReply("; ".join(problems))
    return Checked(summary, tuple(phrases), tuple(picked), tuple(notes))


def _parsed(text: str) -> dict:
    """The reply as a JSON object with every field; InvalidReply saying what is wrong otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = " (the reply was cut off)" if not text.rstrip().endswith("}") else ""
        raise InvalidReply(f"not valid JSON{cut}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidReply("the reply is not a JSON object")
    missing = [f for f in FIELDS if f not in data]
    if missing:
        raise InvalidReply(f"fields missing: {', '.join(missing)}")
    return data


def _summary(raw, then: str, opening: str, problems: list[str], notes: list[str]) -> str:
    """The reply's summary, cleaned, after our `opening` and within the length limits; what is wrong with it
    goes to `problems`, what was repaired to `notes`."""
    if then and isinstance(raw, str) and (ended := _whole_clauses(raw, then)) != raw:
        if ended is None:
            problems.append("a sentence ran to the length limit and was cut mid-word")
        else:
            raw = ended
            notes.append("a sentence cut at the length limit ends at its last whole clause")
    summary = _clean_text(raw)
    if opening and summary:
        summary = f"{opening} {summary}"   # the first sentence, ours (build_schema's model_first=False)
    if len(summary) < SUMMARY_MIN_CHARS:
        problems.append(f"summary too short ({len(summary)} characters)")
    elif _JSONISH.search(summary):
        problems.append("summary contains JSON syntax instead of prose")
    if len(summary) > SUMMARY_MAX_CHARS:
        summary = truncate_words(summary, SUMMARY_MAX_CHARS)
        notes.append("summary truncated")
    return summary


def _whole_clauses(summary: str, then: str) -> str | None:
    """`summary` (written to build_schema's pattern with the forced start `then`) as it is, or, where a free
    part filled all SENTENCE_MAX_CHARS characters, the grammar forced its full stop wherever the model was,
    often inside a word ("the inner-dri."): ended at its last whole clause instead (before its last comma or
    semicolon), or None when too little would be left."""
    before, found, after = summary.partition(f"{then} ")
    if not found:
        return summary
    free = after.strip().removesuffix(".")
    if len(before.strip().removesuffix(".")) >= SENTENCE_MAX_CHARS:
        return None
    if len(free) < SENTENCE_MAX_CHARS:
        return summary
    head = free[: max(free.rfind(","), free.rfind(";"))].rstrip()
    return f"{before}{then} {head}." if len(head.split()) >= 3 else None


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
