"""How well a catalog covers moods and genres: tracks per genre family and per mood region, and the
genre × mood check (does each list come back full without relaxing the genre filter?).

Why one module: `emotune catalog info`, the music benchmark and the tests report the same figures, so they
are computed once, here, from the same definitions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from emotune.core.emotions import EMOTIONS, one_hot
from emotune.core.mood import MoodSnapshot
from emotune.music.catalog import Catalog
from emotune.music.lists.mood_target import match_point
from emotune.music.lists.recommender import Recommender
from emotune.music.lists.values import RecommendationRequest

REGION_RADIUS = 0.15     # a track is in an emotion's region when its (valence, energy) lies this close to
                         # the emotion's match target: about the distance of a good fit in a full list
CHECK_MOODS: tuple[str, ...] = ("happy", "sad", "angry", "neutral")
CHECK_GENRES: tuple[str, ...] = ("rock", "pop", "r&b", "latin", "electronic", "hip-hop",
                                 "hard rock", "neo soul", "reggaeton", "trap")
CHECK_LENGTH = 20
CHECK_GOAL = 40          # of the 40 lists, this many must keep the genre filter (all of them)
OFFER_MIN_TRACKS = 300   # a family is offered (Settings, the analysis) when it holds this many tracks: about 40
                         # per mood region, enough for a 20-track list of every mood (docs/music.md, coverage)


def split_offered(counts: Mapping[str, int], min_tracks: int = OFFER_MIN_TRACKS) -> tuple[list[str], list[str]]:
    """The families worth choosing (at least `min_tracks` tracks) and the thin ones, each in `counts` order."""
    offered = [f for f, n in counts.items() if n >= min_tracks]
    return offered, [f for f in counts if f not in offered]


@dataclass(frozen=True)
class FamilyRow:
    """One genre family (or "all"/"no genre"): its tracks and how many sit in each emotion's region."""

    family: str
    tracks: int
    regions: tuple[int, ...]          # EMOTIONS order
    subgenres: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListCheck:
    """One list of the genre × mood check: how many of its tracks kept the genre filter."""

    mood: str
    genre: str
    kept: int
    length: int

    @property
    def full(self) -> bool:
        return self.kept == self.length == CHECK_LENGTH


def region_masks(catalog: Catalog) -> np.ndarray:
    """Boolean (emotions, tracks): the track's valence/energy lie within REGION_RADIUS of the emotion's target."""
    ve = np.asarray(catalog.features[:, :2], dtype=np.float32)
    targets = np.array([match_point(one_hot(e))[:2] for e in EMOTIONS], dtype=np.float32)
    d2 = ((ve[None, :, :] - targets[:, None, :]) ** 2).sum(axis=2)
    return d2 <= REGION_RADIUS ** 2


def family_rows(catalog: Catalog) -> list[FamilyRow]:
    """"all", then each family by size (largest first), then "no genre" when some tracks have none."""
    regions = region_masks(catalog)

    def row(name: str, mask: np.ndarray, subs: Sequence[str] = ()) -> FamilyRow:
        return FamilyRow(name, int(mask.sum()), tuple(int((r & mask).sum()) for r in regions), tuple(subs))

    rows = [row("all", np.ones(len(catalog), dtype=bool))]
    families = sorted(catalog.genre_counts().items(), key=lambda kv: (-kv[1], kv[0]))
    rows += [row(f, catalog.genre_mask([f]), catalog.subgenres(f)) for f, _ in families]
    none = np.diff(catalog.genre_ids.ptr) == 0
    if none.any():
        rows.append(row("no genre", none))
    return rows


def genre_mood_check(recommender: Recommender, moods: Sequence[str] = CHECK_MOODS,
                     genres: Sequence[str] = CHECK_GENRES, n: int = CHECK_LENGTH) -> list[ListCheck]:
    """For each mood × genre: a match list of `n` with that genre filter, and how many tracks kept it."""
    out = []
    for mood in moods:
        for genre in genres:
            result = recommender.recommend(RecommendationRequest(MoodSnapshot.manual_mood(mood), "match", n=n,
                                                                 genres=(genre,)))
            kept = sum("genre" not in r.relaxed for r in result.items)
            out.append(ListCheck(mood, genre, kept, len(result.items)))
    return out


def check_table(checks: Sequence[ListCheck]) -> list[str]:
    """The check as text: one row per genre, one column per mood, each cell tracks kept of the list."""
    moods = list(dict.fromkeys(c.mood for c in checks))
    genres = list(dict.fromkeys(c.genre for c in checks))
    cell = {(c.mood, c.genre): c for c in checks}
    width = max(len(g) for g in genres) + 2
    lines = ["genre".ljust(width) + "".join(m.rjust(9) for m in moods)]
    for g in genres:
        lines.append(g.ljust(width) + "".join(
            f"{cell[m, g].kept}/{cell[m, g].length}{'' if cell[m, g].full else '*'}".rjust(9) for m in moods))
    full = sum(c.full for c in checks)
    lines.append(f"{full} of {len(checks)} lists full ({CHECK_LENGTH} tracks) without relaxing the genre filter "
                 f"(goal {CHECK_GOAL}); * = relaxed")
    return lines
