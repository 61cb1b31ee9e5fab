"""From stored likes and skips to the FeedbackBoosts the recommender adds to its score.

Why these numbers: a like is a strong, deliberate signal (+1), a skip a weaker one (-0.6: people skip for many
reasons); feedback fades with a 60-day half-life so tastes can change, down to a quarter of its weight
(a favourite from last year still counts a little); tanh keeps every boost in (-1, 1)
however much feedback piles up. An artist inherits half of its tracks' feedback, so a liked track lifts the
artist's other tracks a little. "Not for this mood" removes the track for that mood only, and says nothing
about taste, so it leaves the artist alone; a later like for the same mood brings the track back. Undo in the
window deletes the stored row (JournalStore.delete_feedback) rather than adding an opposite one, so the boosts are
exactly as if it had never been given.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from emotune.core.feedback import FeedbackBoosts

LIKE, SKIP, NOT_FOR_MOOD = "like", "skip", "not_for_mood"
KINDS: tuple[str, ...] = (LIKE, SKIP, NOT_FOR_MOOD)
_ALIASES = {"liked": LIKE, "skipped": SKIP, "not for this mood": NOT_FOR_MOOD, "not-for-mood": NOT_FOR_MOOD,
            "not_for_this_mood": NOT_FOR_MOOD, "dislike": SKIP}
WEIGHTS = {LIKE: 1.0, SKIP: -0.6}
HALF_LIFE_DAYS = 60.0
DECAY_FLOOR = 0.25
ARTIST_SHARE = 0.5
ARTIST_SEPARATOR = "; "    # how a list of artists is stored in one text column


@dataclass(frozen=True)
class FeedbackRow:
    ts: float
    track_id: str
    artist: str
    kind: str


def normalise_kind(kind: str) -> str:
    """The stored spelling of a feedback kind; raises ValueError naming the valid ones."""
    k = str(kind).strip().lower()
    k = _ALIASES.get(k, k)
    if k not in KINDS:
        raise ValueError(f"unknown feedback {kind!r}; expected one of {', '.join(KINDS)}")
    return k


def artist_text(artist: str | Sequence[str] | None) -> str:
    """One text for a track's artists (a list is joined so each can be boosted on its own later)."""
    if artist is None:
        return ""
    if isinstance(artist, str):
        return artist.strip()
    return ARTIST_SEPARATOR.join(a.strip() for a in artist if a and a.strip())


def artist_keys(artist: str) -> list[str]:
    """Lower-cased artist names, the keys of FeedbackBoosts.artists."""
    return [a.strip().lower() for a in artist.split(ARTIST_SEPARATOR) if a.strip()]


def compute_boosts(mood: str, rows: Iterable[FeedbackRow], now: float) -> FeedbackBoosts:
    """Boosts for `mood` from its feedback rows (any order)."""
    track_sum: dict[str, float] = defaultdict(float)
    artist_sum: dict[str, float] = defaultdict(float)
    excluded: set[str] = set()
    for row in sorted(rows, key=lambda r: r.ts):
        if row.kind == NOT_FOR_MOOD:
            excluded.add(row.track_id)
            continue
        weight = WEIGHTS.get(row.kind, 0.0) * _decay(now - row.ts)
        if row.kind == LIKE:
            excluded.discard(row.track_id)
        track_sum[row.track_id] += weight
        for key in artist_keys(row.artist):
            artist_sum[key] += ARTIST_SHARE * weight
    return FeedbackBoosts(
        mood=mood,
        tracks={t: round(math.tanh(v), 4) for t, v in track_sum.items() if t not in excluded and abs(v) > 1e-6},
        artists={a: round(math.tanh(v), 4) for a, v in artist_sum.items() if abs(v) > 1e-6},
        excluded=frozenset(excluded),
    )


def _decay(age_s: float) -> float:
    return DECAY_FLOOR + (1 - DECAY_FLOOR) * 0.5 ** (max(age_s, 0.0) / (HALF_LIFE_DAYS * 86400.0))
