"""Genres by consensus: a track carries the families its artist is known for across all sources.

Why: the sources' genre is the genre of the *playlist* a row was found in, not of the song. Enya's "Only
Time", Céline Dion and Whitney Houston were "blues / classic blues" because a blues playlist held them. Over
all rows of an artist the playlist noise cancels out: the families that at least half of the artist's tagged
rows carry (or, when none does, the most common ones), each backed by two playlists or by a genre-labelled
source, are the artist's, and every track of that artist gets them, including tracks no source tagged.
A track's own label that disagrees becomes a weak tag: it is counted in the build report, never stored, so no
filter finds the track by it and no reason names it. Subgenres stay
where they agree: a track keeps its own subgenres of the artist's families, and gains the subgenres that at
least half of the artist's tracks in that family carry.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable

from emotune.music.genres import family_of, is_family
from emotune.music.genres import sort_key as genre_sort_key
from emotune.music.songs import artist_key
from emotune.music.track import Track


@dataclass(frozen=True)
class ArtistGenres:
    """What one artist is known for: families and agreed subgenres, from `tagged` of their `tracks`."""

    name: str
    families: tuple[str, ...]
    subgenres: tuple[str, ...]
    tracks: int
    tagged: int
    votes: tuple[tuple[str, int], ...] = ()       # family -> tracks carrying it, most first


@dataclass
class ConsensusReport:
    artists: dict[str, ArtistGenres] = field(default_factory=dict)
    weak_tags: int = 0            # track labels left out because the artist's consensus disagrees
    retagged: int = 0             # tracks whose families changed
    inferred: int = 0             # tracks no source tagged that got their artist's families

    def lines(self) -> list[str]:
        return [f"genres by artist consensus: {self.retagged} tracks re-tagged, {self.inferred} untagged tracks "
                f"given their artist's families, {self.weak_tags} disagreeing playlist labels kept out"]


def _split(genres: Iterable[str]) -> tuple[list[str], list[str]]:
    fams, subs = [], []
    for g in genres:
        (fams if is_family(g) else subs).append(g)
    fams += [family_of(s) for s in subs if family_of(s) not in fams]
    return list(dict.fromkeys(fams)), subs


def artist_genres(rows: Iterable[Track]) -> dict[str, ArtistGenres]:
    """Each primary artist's consensus over the source rows (one vote per row, so a track listed in three pop
    playlists and one blues playlist votes pop three times), keyed by emotune.music.songs.artist_key. A family
    counts only with support from two playlists, or from a source that labels tracks by genre rather than by
    playlist (one odd playlist is what put Enya under blues)."""
    fam_votes: dict[str, Counter] = {}
    sub_votes: dict[str, Counter] = {}
    evidence: dict[tuple[str, str], set[str]] = {}
    counts: Counter = Counter()
    tagged: Counter = Counter()
    names: dict[str, str] = {}
    for t in rows:
        if not t.artists:
            continue
        key = artist_key(t.artists[0])
        names.setdefault(key, t.artists[0])
        counts[key] += 1
        fams, subs = _split(t.genres)
        if fams:
            tagged[key] += 1
            fam_votes.setdefault(key, Counter()).update(fams)
            sub_votes.setdefault(key, Counter()).update(set(subs))
            for f in fams:
                evidence.setdefault((key, f), set()).add(t.playlist)
    out = {}
    for key, n in counts.items():
        votes = fam_votes.get(key, Counter())
        k = tagged[key]
        backed = {f: v for f, v in votes.items() if "" in evidence[key, f] or len(evidence[key, f]) >= 2}
        fams = tuple(sorted(f for f, v in backed.items() if 2 * v >= k))
        if backed and not fams:
            top = max(backed.values())
            fams = tuple(sorted(f for f, v in backed.items() if v == top))
        subs = tuple(sorted(s for s, v in sub_votes.get(key, Counter()).items()
                            if family_of(s) in fams and 2 * v >= votes[family_of(s)]))
        ranked = tuple(sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])))
        out[key] = ArtistGenres(names[key], fams, subs, n, k, ranked)
    return out


def apply_consensus(tracks: Iterable[Track], rows: Iterable[Track]) -> tuple[list[Track], ConsensusReport]:
    """The merged `tracks` with their artist's families from the source `rows` (see the module docstring)."""
    artists = artist_genres(rows)
    report = ConsensusReport(artists)
    out = []
    for t in tracks:
        known = artists.get(artist_key(t.artists[0])) if t.artists else None
        own_fams, own_subs = _split(t.genres)
        if known is None or (not known.families and not own_fams):
            out.append(t)
            continue
        subs = {s for s in own_subs if family_of(s) in known.families} | set(known.subgenres)
        genres = tuple(sorted(set(known.families) | subs, key=genre_sort_key))
        report.weak_tags += sum(f not in known.families for f in own_fams)
        if not own_fams:
            report.inferred += 1
        elif set(own_fams) != set(known.families):
            report.retagged += 1
        out.append(replace(t, genres=genres) if genres != t.genres else t)
    return out, report
