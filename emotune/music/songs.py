"""One row per song: the rows of one recording (a remaster, a "feat." variant, the single and the album cut)
merge at build time, and the same key keeps any list from showing one song twice.

Why a key of title and artists and not the Spotify id: the sources list one recording under several ids
(single, album, compilation, remaster), and a list that shows "Hey Mama (feat. Nicki Minaj, …)" and "Hey Mama"
as #1 and #2 looks broken. Titles are compared without bracketed parts, without " - Remastered 2011"-like
suffixes and without "feat." credits; artists by their normalised names. At build time a bracket or suffix
that names another recording (remix, live, acoustic, instrumental, …) stays in the key and the lengths must be
close, so a live cut or a remix stays a row of its own (a list still shows only one of them).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from emotune.music.genres import sort_key as genre_sort_key
from emotune.music.track import Track

_BRACKETS = re.compile(r"\s*[\(\[\{][^\)\]\}]*[\)\]\}]")
_VERSION_WORDS = (r"remaster|version|edit|mix|remix|live|mono|stereo|single|radio|acoustic|feat|from|bonus|demo|"
                  r"original|extended|instrumental|recorded|anniversary|deluxe|session|take")
_DASH_SUFFIX = re.compile(rf"\s+[-–—]\s+(?=.*\b(?:{_VERSION_WORDS}))", re.IGNORECASE)
_FEAT = re.compile(r"\s+(feat\.?|ft\.?|featuring)\s+.*$", re.IGNORECASE)
_NOT_WORD = re.compile(r"[^\w]+")
_SEGMENTS = re.compile(r"[\(\[\{]([^\)\]\}]*)[\)\]\}]|\s[-–—]\s([^-–—\(\[]*)")
# a bracket or suffix with one of these words names another recording of the song (kept apart at build time)
_OTHER_RECORDING = re.compile(r"\b(remix|mix|live|acoustic|instrumental|karaoke|demo|unplugged|cover|slowed|sped|"
                              r"reverb|rework|bootleg|acapella|cappella|orchestral|piano version)\b", re.IGNORECASE)
CLOSE_MS = 10_000          # two rows are one recording when their lengths differ by at most this
CLOSE_SHARE = 0.05         # ... or by at most this share of the longer one


def _plain(text: str) -> str:
    """Lower case, accents and punctuation gone, "&" as "and", single spaces."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def title_key(title: str) -> str:
    """The title as songs are compared: "Hey Mama (feat. Nicki Minaj)" and "Hey Mama - Remastered" -> "hey mama"."""
    core = _BRACKETS.sub("", title)
    if m := _DASH_SUFFIX.search(core):
        core = core[:m.start()]
    core = _FEAT.sub("", core)
    return _plain(core) or _plain(title)


_CREDIT_SPLIT = re.compile(r"\s+(?:featuring|feat|ft|and|with|x)\s+")


def recording_key(title: str) -> str:
    """The title key plus what names another recording: "Mushrooms (Justin Martin Remix)" and "Mushrooms -
    Salt City Orchestra Out There Mix" are two recordings of one song, "Hey Mama - Remastered" is the same one."""
    marks = sorted(_plain(seg) for m in _SEGMENTS.finditer(title) for seg in m.groups()
                   if seg and _OTHER_RECORDING.search(seg))
    return " | ".join([title_key(title), *marks])


def artist_key(name: str) -> str:
    """The first name of an artist credit, normalised: "David Guetta Featuring Nicki Minaj" -> "david guetta"."""
    return artist_keys([name])[0] if name.strip() else ""


def artist_keys(names: Iterable[str]) -> list[str]:
    """Every name in the credits, normalised, in order: one source writes "David Guetta Featuring Nicki Minaj,
    Bebe Rexha & Afrojack" as one artist, another lists the four."""
    out: list[str] = []
    for part_name in (p for name in names for p in name.split(",")):
        for part in _CREDIT_SPLIT.split(f" {_plain(part_name)} "):
            part = part.strip()
            part = part[4:] if part.startswith("the ") else part
            if part and part not in out:
                out.append(part)
    return out or [""]


def same_song(title_a: str, artists_a: Iterable[str], title_b: str, artists_b: Iterable[str]) -> bool:
    """True when two tracks are one song to a listener: equal title keys and at least one artist in common."""
    if title_key(title_a) != title_key(title_b):
        return False
    return bool(set(artist_keys(artists_a)) & set(artist_keys(artists_b)) - {""})


def close_durations(a: int, b: int) -> bool:
    """Lengths of one recording (unknown, 0, counts as close: a user's CSV may lack the column)."""
    if not a or not b:
        return True
    return abs(a - b) <= max(CLOSE_MS, CLOSE_SHARE * max(a, b))


@dataclass(frozen=True)
class SongMerge:
    """One song whose rows were merged: the track kept (its id is the best known: most popular) and the others."""

    kept: Track
    dropped: tuple[Track, ...]


def merge_songs(tracks: Iterable[Track]) -> tuple[list[Track], list[SongMerge]]:
    """One track per recording, and the merges made. Deterministic: the same tracks give the same result.
    The kept row's id, features and names stay; genres are united, popularity is the highest, and the year,
    album, language and explicit flag are filled from the other rows where the kept one lacks them."""
    groups: dict[str, list[Track]] = {}
    for t in tracks:
        groups.setdefault(recording_key(t.title), []).append(t)
    out: list[Track] = []
    merges: list[SongMerge] = []
    for key in sorted(groups):
        rows = sorted(groups[key], key=lambda t: t.id)
        for component in _components(rows):
            if len(component) == 1:
                out.append(component[0])
                continue
            merged, merge = _merge(component)
            out.append(merged)
            merges.append(merge)
    return out, merges


def _components(rows: Sequence[Track]) -> list[list[Track]]:
    """Rows with one recording key, grouped: two rows join when they share an artist and their lengths are close."""
    if len(rows) == 1:
        return [list(rows)]
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    artists = [set(artist_keys(t.artists)) - {""} for t in rows]
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            if artists[i] & artists[j] and close_durations(rows[i].duration_ms, rows[j].duration_ms):
                parent[find(j)] = find(i)
    comps: dict[int, list[Track]] = {}
    for i, t in enumerate(rows):
        comps.setdefault(find(i), []).append(t)
    return list(comps.values())


def _merge(rows: list[Track]) -> tuple[Track, SongMerge]:
    ranked = sorted(rows, key=lambda t: (-t.popularity, -len(t.genres), t.id))
    kept, others = ranked[0], tuple(ranked[1:])
    year = kept.year or next((t.year for t in others if t.year), 0)
    merged = replace(
        kept, popularity=max(t.popularity for t in rows),
        genres=tuple(sorted({g for t in rows for g in t.genres}, key=genre_sort_key)),
        album=kept.album or next((t.album for t in others if t.album), ""), year=year,
        language=kept.language or next((t.language for t in others if t.language), ""),
        explicit=kept.explicit if kept.explicit is not None else next(
            (t.explicit for t in others if t.explicit is not None), None))
    return merged, SongMerge(merged, others)
