"""The one-line reason under each track and the notices above the list, built from the numbers.

Why words from numbers: "calm, acoustic, low energy to match a sad, tired mood" lets the listener check
the choice against what they hear, and the same thresholds describe every track the same way.
"""
from __future__ import annotations

from typing import Sequence

from emotune.music.genres import family_of, resolve
from emotune.music.languages import language_name
from emotune.music.lists.mood_target import MoodTarget
from emotune.music.lists.values import Recommendation, RecommendationRequest
from emotune.music.track import Track


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


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def asked_genre(track: Track, request: RecommendationRequest) -> tuple[str, str]:
    """The first genre that was asked for and that the track has (a family asked for counts when the track
    has it or one of its subgenres), and who asked: "you" or "the analysis"; ("", "") when none."""
    own = set(track.genres) | {family_of(g) for g in track.genres}
    named = request.suggested_genres if request.named_genres is None else request.named_genres
    for who, names in (("you", request.genres), ("the analysis", named)):
        for name in names:
            if resolve(name) in own:
                return resolve(name), who
    return "", ""


def liked_artist(track: Track, request: RecommendationRequest) -> str:
    """The track's artist the user liked for this mood, as the track spells it; "" when none."""
    fb = request.feedback
    liked = {a.lower() for a, v in (fb.artists.items() if fb else ()) if v > 0}
    return next((a for a in track.artists if a.lower() in liked), "")


def reason_for(track: Track, position: int, target: MoodTarget, request: RecommendationRequest,
               relaxed: Sequence[str], liked: str) -> str:
    """Words from the track's own numbers, then only facts: a genre it has that you or the analysis asked
    for, the track or artist you liked, a filter it is outside of."""
    text = f"{', '.join(describe(track))} {purpose(position, target, max(1, request.n))}"
    extras = []
    if liked == "track":
        extras.append("you liked this track")
    elif liked == "artist" and (artist := liked_artist(track, request)):
        extras.append(f"you liked {artist}")
    genre, who = asked_genre(track, request)
    if genre:
        extras.append(f"{genre}, as you asked" if who == "you" else f"{genre}, as the analysis suggested")
    for name in relaxed:
        extras.append(f"outside your {name} filter")
    return text + ("; " + "; ".join(extras) if extras else "")


def _names(values: Sequence[str], language: bool) -> str:
    names = [language_name(v) if language else resolve(v) for v in values]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def relaxed_sentence(request: RecommendationRequest, mood: str, genre_out: int, language_out: int,
                     kept: int) -> str:
    """One plain sentence for filters that had to give: "Few Spanish tracks fit an angry mood, so other
    languages are included." """
    what = " ".join(x for x in (_names(request.languages, True) if language_out and request.languages else "",
                                _names(request.genres, False) if genre_out and request.genres else "") if x)
    others = " and ".join(x for x in ("genres" if genre_out else "", "languages" if language_out else "") if x)
    few = "No" if kept == 0 else "Few"
    return f"{few} {what} tracks fit {_article(mood)} {mood} mood, so other {others} are included."


def describe_notices(items: Sequence[Recommendation], request: RecommendationRequest, n: int,
                     target: MoodTarget) -> list[str]:
    """Plain sentences about the list, the most important first: filters relaxed, a short list, explicit
    flags unknown. The window shows the first above the list and the rest in its tooltip."""
    notes: list[str] = []
    mood = target.mood_words.split(",")[0].strip()
    genre_out = sum("genre" in r.relaxed for r in items)
    language_out = sum("language" in r.relaxed for r in items)
    if genre_out or language_out:
        kept = sum(not r.relaxed for r in items)
        notes.append(relaxed_sentence(request, mood, genre_out, language_out, kept))
        if genre_out:
            notes.append(f"{genre_out} of {len(items)} tracks are outside your genre filter "
                         f"({_names(request.genres, False)}).")
        if language_out:
            notes.append(f"{language_out} of {len(items)} tracks are in other languages than "
                         f"{_names(request.languages, True)}.")
    if len(items) < n:
        notes.append(f"Only {len(items)} tracks could be found for this request.")
    if not request.allow_explicit:
        unknown = sum(r.track.explicit is None for r in items)
        if unknown:
            notes.append(f"{unknown} of these tracks have no explicit-content flag in the catalog, so they may "
                         "contain explicit lyrics.")
    return notes
