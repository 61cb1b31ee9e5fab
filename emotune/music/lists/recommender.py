"""Tracks for a mood: vectorised scoring over the whole catalog, then a short greedy pass for diversity.

Score of a track for list position k (higher is better):
    - distance to the position's target in weighted (valence, energy, danceability, acousticness) space
    + POPULARITY_WEIGHT * (popularity - 50) / 100       a mild prior: known hits first among equals
    + feedback boosts (this track, its artists)          what the user liked or skipped for this mood
    + SUGGESTED_BONUS if it has a genre the LLM suggested
    - RELAX_PENALTY per user filter it breaks            filters are strong preferences, not walls: a
                                                         filtered track that fits loses to nothing, an
                                                         unfiltered one must fit much better to get in,
                                                         and every such pick is named in a notice
Hard rules: no track the user excluded or already saw this session, no explicit track with --no-explicit,
no song twice in a list (emotune.music.songs: same title and a shared artist, whatever the id), no artist twice
in a list, and (without a genre filter) a spread across genres.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from emotune.core.feedback import FeedbackBoosts
from emotune.music.catalog import Catalog
from emotune.music.lists.mood_target import FEATURE_WEIGHTS, MoodTarget, mood_target
from emotune.music.lists.reasons import describe_notices, reason_for
from emotune.music.lists.values import Recommendation, RecommendationRequest, RecommendationResult
from emotune.music.songs import title_key

log = logging.getLogger(__name__)

POPULARITY_WEIGHT = 0.04
TRACK_FEEDBACK_WEIGHT = 0.15
ARTIST_FEEDBACK_WEIGHT = 0.08
SUGGESTED_BONUS = 0.08         # about a typical fit distance: 2-3 suggested-genre tracks in 10, not all
RELAX_PENALTY = 0.4
GENRE_SPREAD_PENALTY = 0.04
MAX_N = 100
PREFILTER = 2_000          # tracks given exact per-position distances at first; doubled until provably enough


class RecommendationSession:
    """The tracks shown so far in one listening session, so "refresh" brings new ones. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shown: set[str] = set()

    def shown(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._shown)

    def mark_shown(self, ids: Iterable[str]) -> None:
        with self._lock:
            self._shown.update(ids)

    def reset(self) -> None:
        with self._lock:
            self._shown.clear()


@dataclass
class _Pool:
    """Per-request arrays over the whole catalog (never shared between calls)."""

    base: np.ndarray            # score without the distance term; -inf = not allowed
    violations: np.ndarray      # list of filter names per bit: 1 genre, 2 language
    liked: np.ndarray           # 0 none, 1 artist, 2 track
    notices: list[str] = field(default_factory=list)


class Recommender:
    """Ranks one catalog. Immutable after construction: one instance serves every thread."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        x = np.nan_to_num(np.asarray(catalog.features, dtype=np.float32), nan=0.5)
        self._sqrt_w = np.sqrt(FEATURE_WEIGHTS).astype(np.float32)
        z = x * self._sqrt_w
        # one contiguous array per feature: catalog-wide dot products are then a few elementwise passes.
        # (z @ v goes through multi-threaded BLAS, which on a busy machine stalls for 100s of ms at a time)
        self._cols = tuple(np.ascontiguousarray(z[:, k]) for k in range(z.shape[1]))
        self._zz = np.einsum("ij,ij->i", z, z)
        pop = np.asarray(catalog.popularity, dtype=np.float32)
        self._prior = np.where(pop >= 0, POPULARITY_WEIGHT * (pop - 50.0) / 100.0, 0.0).astype(np.float32)
        self._primary = catalog.primary_artist()
        self._artist_owners = catalog.artists.owners()

    def recommend(self, request: RecommendationRequest, session: RecommendationSession | None = None
                  ) -> RecommendationResult:
        """N tracks for the request; with a session, skips what it has shown and records the new ones.
        Runs in the caller's thread (a worker in the GUI)."""
        n = max(1, min(int(request.n), MAX_N))
        target = mood_target(request.mood, request.mode, n, request.target_valence, request.target_energy)
        pool = self._pool(request, session)
        if not np.isfinite(pool.base).any():
            return RecommendationResult((), tuple(pool.notices) or ("No tracks in the catalog fit this request.",),
                                        target)
        picks = self._select(pool, target, n, spread=not request.genres)
        items = tuple(self._recommendation(i, k, s, d, pool, request, target) for k, (i, s, d) in enumerate(picks))
        notices = describe_notices(items, request, n, target) + pool.notices
        if session is not None:
            session.mark_shown(r.track.id for r in items)
        return RecommendationResult(items, tuple(notices), target)

    # ---- scoring --------------------------------------------------------------------------------
    def _pool(self, request: RecommendationRequest, session: RecommendationSession | None) -> _Pool:
        cat = self.catalog
        size = len(cat)
        base = self._prior.copy()
        notices: list[str] = []
        allowed = np.ones(size, dtype=bool)
        if not request.allow_explicit:
            allowed &= cat.explicit != 1
            if not allowed.any():
                notices.append("Every track in the catalog is marked explicit.")
        fb = request.feedback or FeedbackBoosts()
        hard_excluded = cat.index_of(set(request.exclude_ids) | set(fb.excluded))
        allowed[hard_excluded] = False
        if session is not None:
            seen = cat.index_of(session.shown())
            still = allowed.copy()
            still[seen] = False
            if np.count_nonzero(still) < max(1, min(request.n, MAX_N)) and len(seen):
                notices.append("You have seen every track that fits, so the list starts over.")
                session.reset()
            else:
                allowed = still
        liked = np.zeros(size, dtype=np.int8)
        if fb.artists:
            boost = np.zeros(len(cat.artist_names), dtype=np.float32)
            for name, value in fb.artists.items():
                a = cat.artist_index(name)
                if a >= 0:
                    boost[a] = float(value)
            if boost.any():
                per_track = np.bincount(self._artist_owners, weights=boost[cat.artists.ids], minlength=size)
                base += ARTIST_FEEDBACK_WEIGHT * per_track.astype(np.float32)
                liked[per_track > 0] = 1
        for track_id, value in fb.tracks.items():
            idx = cat.index_of([track_id])
            if len(idx):
                base[idx] += TRACK_FEEDBACK_WEIGHT * float(value)
                if value > 0:
                    liked[idx] = 2
        if request.suggested_genres:
            base += SUGGESTED_BONUS * cat.genre_mask(request.suggested_genres)
        violations = np.zeros(size, dtype=np.int8)
        if request.genres:
            violations += (~cat.genre_mask(request.genres)).astype(np.int8)
            unknown = [g for g in request.genres if not cat.knows_genre(g)]
            if unknown:
                notices.append(f"The catalog has no {' or '.join(unknown)} tracks, so other genres are included.")
        if request.languages:
            violations += 2 * (~cat.language_mask(request.languages)).astype(np.int8)
        if request.genres or request.languages:
            broken = ((violations & 1) + ((violations >> 1) & 1)).astype(np.float32)
            base -= np.float32(RELAX_PENALTY) * broken
        base[~allowed] = -np.inf
        return _Pool(base, violations, liked, notices)

    def _distances(self, points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Weighted Euclidean distance of the tracks `rows` to each target point: (rows, points)."""
        tz = (points * self._sqrt_w).astype(np.float32)
        d2 = np.zeros((len(rows), len(tz)), dtype=np.float32)
        for k, col in enumerate(self._cols):                  # elementwise, no BLAS (see __init__)
            d2 += np.square(col[rows][:, None] - tz[None, :, k])
        return np.sqrt(d2, out=d2)

    def _segment_distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Weighted distance of every track to the segment a→b, one pass over the catalog. Every target point
        of a list lies on that segment (match: a == b; lift: start→goal), so this is a lower bound of a
        track's distance to the positions' targets, and tight: candidates are chosen with it and only they
        get the exact distance to each position (a million tracks × ten lift steps is the slow part)."""
        ta = (np.asarray(a, np.float32) * self._sqrt_w).astype(np.float32)
        u = (np.asarray(b, np.float32) * self._sqrt_w).astype(np.float32) - ta
        d2 = self._dot(ta)
        d2 *= -2.0
        d2 += self._zz
        d2 += np.float32(ta @ ta)                                # |z - a|²
        uu = float(u @ u)
        if uu > 1e-12:
            p = self._dot(u)
            p -= np.float32(ta @ u)                              # (z - a)·u
            t = np.clip(p / np.float32(uu), 0.0, 1.0)            # where z projects onto the segment
            p *= t
            d2 -= 2.0 * p
            t *= t
            d2 += np.float32(uu) * t
        np.maximum(d2, 0.0, out=d2)
        return np.sqrt(d2, out=d2)

    def _dot(self, v: np.ndarray) -> np.ndarray:
        """z·v for every track, as float32, without BLAS (see __init__)."""
        out = self._cols[0] * np.float32(v[0])
        tmp = np.empty_like(out)
        for col, x in zip(self._cols[1:], v[1:]):
            np.multiply(col, np.float32(x), out=tmp)
            out += tmp
        return out

    @staticmethod
    def _top_rows(best: np.ndarray, k: int) -> np.ndarray:
        """Indices of (at least) the k largest finite values of `best`, unordered. A threshold from a strided
        sample and one comparison pass is several times faster than argpartition over a million values;
        a superset is fine here (stage 2 ranks exactly)."""
        if k >= len(best):
            return np.flatnonzero(np.isfinite(best))
        stride = len(best) // (4 * k) if len(best) >= 8 * k else 1      # a sample of about 4k values
        if stride > 1:
            sample = best[::stride]
            j = min(len(sample) - 1, int(1.25 * k / stride) + 8)
            threshold = np.partition(sample, len(sample) - 1 - j)[len(sample) - 1 - j]
            if np.isfinite(threshold):
                rows = np.flatnonzero(best >= threshold)
                if k <= len(rows) <= 2 * k:
                    return rows
        rows = np.argpartition(-best, k - 1)[:k]
        return rows[np.isfinite(best[rows])]

    @staticmethod
    def _enough(best: np.ndarray, rows: np.ndarray, score_rows: np.ndarray, per: int) -> bool:
        """True when no track outside `rows` can enter any position's top `per`: its upper bound `best` is
        below each position's per-th best exact score among `rows`."""
        outside = np.ones(len(best), dtype=bool)
        outside[rows] = False
        bound = best[outside].max(initial=-np.inf)
        kth = np.partition(score_rows, len(rows) - per, axis=0)[len(rows) - per]
        return bool((kth > bound).all())

    def _select(self, pool: _Pool, target: MoodTarget, n: int, spread: bool) -> list[tuple[int, float, float]]:
        """Up to `n` tracks along `target`: (row, score, distance) for each, in list order."""
        cand, scores, dists, position_of = self._candidates(pool, target, n)
        return self._pick(cand, scores, dists, position_of, n, spread)

    def _candidates(self, pool: _Pool, target: MoodTarget, n: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The tracks worth considering for any position of `target`, best first: their rows, their scores and
        distances at each distinct point of the path, and the point of each list position."""
        points, position_of = np.unique(target.as_array(), axis=0, return_inverse=True)
        position_of = np.asarray(position_of).reshape(-1)
        finite = np.isfinite(pool.base)
        available = int(np.count_nonzero(finite))
        ends = target.as_array()
        best = pool.base - self._segment_distance(ends[0], ends[-1])   # upper bound of each track's best score
        # stage 1: the tracks closest to the whole path; stage 2 then takes the best `per` for each position from
        # them. A lift's path crosses sparse and dense parts of the catalog, so how many stage 1 needs varies: it
        # grows until each position's per-th best exact score beats every left-out track's upper bound, which
        # makes the result the exhaustive ranking's (a match list, one point, is exact at once)
        size = min(available, max(PREFILTER, 30 * n))
        while True:
            rows = self._top_rows(best, size)
            dist_rows = self._distances(points, rows)                 # exact, (rows, unique points)
            score_rows = pool.base[rows][:, None] - dist_rows
            per = min(len(rows), max(40, 4 * n, max(200, 30 * n) // len(points)))   # candidates per position
            if len(rows) >= available or self._enough(best, rows, score_rows, per):
                break
            size = min(available, 2 * size)
        if per < len(rows):
            top = np.argpartition(-score_rows, per - 1, axis=0)[:per]
            keep = np.unique(top.reshape(-1))
        else:
            keep = np.arange(len(rows))
        keep = keep[np.argsort(-score_rows[keep].max(axis=1), kind="stable")]
        return rows[keep], score_rows[keep], dist_rows[keep], position_of   # scores, distances: (candidates, points)

    def _pick(self, cand: np.ndarray, scores: np.ndarray, dists: np.ndarray, position_of: np.ndarray, n: int,
              spread: bool) -> list[tuple[int, float, float]]:
        """Fills the list position by position with the best free candidate: a song only once, an artist again
        only when nothing else is left, and with `spread` genres already in the list held back."""
        artists = self._primary[cand]
        genre_matrix = self._genre_matrix(cand) if spread else None
        genre_used = np.zeros(genre_matrix.shape[1] if genre_matrix is not None else 0, dtype=np.float32)
        free = np.ones(len(cand), dtype=bool)
        repeat = np.zeros(len(cand), dtype=bool)       # candidates whose primary artist is already in the list
        picks: list[tuple[int, float, float]] = []
        songs: list[tuple[str, set[int]]] = []          # title key and artist ids of each pick
        while len(picks) < min(n, len(cand)):
            k = len(picks)
            col = position_of[min(k, len(position_of) - 1)]
            s = scores[:, col].copy()
            s[~free] = -np.inf
            if repeat.any() and np.isfinite(s[~repeat]).any():
                s[repeat] = -np.inf
            if genre_matrix is not None and genre_used.any():
                s -= GENRE_SPREAD_PENALTY * (genre_matrix * genre_used).max(axis=1)
            j = int(np.argmax(s))
            if not np.isfinite(s[j]):
                break
            free[j] = False
            song = (title_key(self.catalog.titles[int(cand[j])]), set(self.catalog.artists.row(int(cand[j])).tolist()))
            if any(song[0] == t and song[1] & a for t, a in songs):
                continue                                 # another id of a song already in the list
            songs.append(song)
            if artists[j] >= 0:
                repeat |= artists == artists[j]
            if genre_matrix is not None:
                genre_used += genre_matrix[j]
            picks.append((int(cand[j]), float(scores[j, col]), float(dists[j, col])))
        return picks

    def _genre_matrix(self, cand: np.ndarray) -> np.ndarray:
        """One row per candidate, 1 in the column of each of its genres (one gather, no Python loop)."""
        g = self.catalog.genre_ids
        starts = np.asarray(g.ptr[cand], dtype=np.int64)
        lengths = np.asarray(g.ptr[cand + 1], dtype=np.int64) - starts
        owner = np.repeat(np.arange(len(cand)), lengths)
        first = np.cumsum(lengths) - lengths                   # where each candidate's entries start in `flat`
        flat = np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
        m = np.zeros((len(cand), max(1, len(self.catalog.genre_names))), dtype=np.float32)
        m[owner, g.ids[flat].astype(np.int64)] = 1.0
        return m

    def _recommendation(self, i: int, k: int, score: float, dist: float, pool: _Pool,
                        request: RecommendationRequest, target: MoodTarget) -> Recommendation:
        track = self.catalog.track(i)
        v = int(pool.violations[i])
        relaxed = tuple(name for bit, name in ((1, "genre"), (2, "language")) if v & bit)
        liked = {0: "", 1: "artist", 2: "track"}[int(pool.liked[i])]
        reason = reason_for(track, k, target, request, relaxed, liked)
        return Recommendation(track, reason, k, score, dist, relaxed, liked)
