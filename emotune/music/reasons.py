"""The one-line reason under each track and the notices above the list, built from the numbers.

Why words from numbers: "calm, acoustic, low energy to match a sad, tired mood" lets the listener check
the choice against what they hear, and the same thresholds describe every track the same way.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from emotune.music.mood_target import MoodTarget
from emotune.music.track import Track

if TYPE_CHECKING:
    from emotune.music.recommender import Recommendation, RecommendationRequest


def _ok(x: float) -> bool:
    return x == x


def describe(track: Track) -> list[str]:
    """Two to four words for how a track sounds: mood colour, texture, energy."""
    words: list[str] = []
    v, e, d, a = track.valence, track.energy, track.danceability, track.acousticness
    if e < 0.4 and v < 0.45:
        words.append("calm" if v >= 0.25 else "melancholic")
    elif v < 0.3:
        words.append("dark")
    elif v < 0.5:
        words.append("bittersweet")
    elif v > 0.75:
        words.append("bright")
    else:
        words.append("warm")
    if _ok(a) and a > 0.6:
        words.append("acoustic")
    elif _ok(d) and d > 0.72:
        words.append("danceable")
    if _ok(track.tempo) and track.tempo > 0:
        if track.tempo < 85:
            words.append("slow")
        elif track.tempo > 140 and e > 0.6:
            words.append("fast")
    words.append("low energy" if e < 0.4 else "high energy" if e > 0.7 else "mid energy")
    return words


def purpose(position: int, target: MoodTarget, n: int) -> str:
    mood = target.mood_words
    article = "an" if mood[:1] in "aeiou" else "a"
    if target.mode == "match":
        return f"to match {article} {mood} mood"
    hold = max(1, n // 4)
    if position < hold:
        return f"to meet your {mood} mood where it is"
    if position >= n - 1 or target.at(position)[0] >= target.goal[0] - 0.02:
        return "to land on a brighter mood"
    return f"to move one step up from {article} {mood} mood"


def reason_for(track: Track, position: int, target: MoodTarget, request: RecommendationRequest,
               relaxed: Sequence[str], liked: str) -> str:
    text = f"{', '.join(describe(track))} {purpose(position, target, max(1, request.n))}"
    extras = []
    if liked == "track":
        extras.append("you liked this track")
    elif liked == "artist":
        extras.append("you liked this artist")
    suggested = [g for g in track.genres if g in {s.lower() for s in request.suggested_genres}]
    if suggested:
        extras.append(f"{suggested[0]}, as the analysis suggested")
    for name in relaxed:
        extras.append(f"outside your {name} filter")
    return text + ("; " + "; ".join(extras) if extras else "")


def describe_notices(items: Sequence[Recommendation], request: RecommendationRequest, n: int,
                     target: MoodTarget) -> list[str]:
    """Notices about filters relaxed, explicit flags unknown and short lists."""
    notes: list[str] = []
    for kind, wanted in (("language", request.languages), ("genre", request.genres)):
        if not wanted:
            continue
        outside = sum(kind in r.relaxed for r in items)
        if outside:
            label = "/".join(wanted)
            kept = len(items) - outside
            lead = f"no {label} tracks fit" if kept == 0 else f"only {kept} {label} tracks fit"
            notes.append(f"{lead} a {target.mood_words} mood ({target.mode}): relaxed the {kind} filter "
                         f"for {outside} of {len(items)}")
    if not request.allow_explicit:
        unknown = sum(r.track.explicit is None for r in items)
        if unknown:
            notes.append(f"{unknown} of these tracks have no explicit-content flag in the catalog; "
                         "they may contain explicit lyrics")
    if len(items) < n:
        notes.append(f"only {len(items)} tracks could be found for this request")
    return notes
