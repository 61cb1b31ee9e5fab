"""Search phrases against the offline catalog, and whether what they find suits a mood.

The analysis' search phrases go to a music search (Spotify) as they are; a small model sometimes writes one
that finds nothing or the wrong side of the mood ("lady in a ball gown" for a happy face). Here a phrase is
searched the way a music service matches words: each word against track titles and genre names, the tracks
matching most words first. A phrase (or genre) suits a target valence when the catalog finds tracks for it
and most of the best-matching ones sit on the target's side of valence (0.5 is the middle).
Thread-safe after construction; the word index is built on first use.
"""
from __future__ import annotations

import re
import threading

import numpy as np

from emotune.music.catalog import Catalog

STOP_WORDS = frozenset(
    "a an and or of for to in on at with by from the my your our me you it is be this that these some "
    "songs song music playlist playlists mix mixes hits tracks track tunes sounds vibes list".split())
TOP_HITS = 50          # the best-matching tracks a phrase is judged by (a search's first page or two)
MIN_RIGHT_SIDE = 0.5   # share of them that must sit on the target's side of valence
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def words(text: str) -> list[str]:
    """The searchable words of a phrase or title: lower case, hyphenated words also split into their parts."""
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        out.append(w)
        if "-" in w:
            out += w.split("-")
    return list(dict.fromkeys(w for w in out if len(w) >= 2 and w not in STOP_WORDS))


class PhraseSearch:
    """Word search over one catalog's titles and genre names."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._lock = threading.Lock()
        self._index: dict[str, np.ndarray] | None = None

    def _words(self) -> dict[str, np.ndarray]:
        with self._lock:
            if self._index is None:
                cat = self.catalog
                rows: dict[str, list[int]] = {}
                for i in range(len(cat)):
                    for w in words(cat.titles[i]):
                        rows.setdefault(w, []).append(i)
                index = {w: np.asarray(r, dtype=np.int64) for w, r in rows.items()}
                for g, name in enumerate(cat.genre_names):
                    members = np.flatnonzero(cat.genre_ids.any_of(np.array([g])))
                    for w in words(name):
                        index[w] = np.union1d(index.get(w, np.zeros(0, dtype=np.int64)), members)
                self._index = index
            return self._index

    def hits(self, phrase: str) -> np.ndarray:
        """Track rows for the phrase, those matching the most of its words first (ties by popularity)."""
        index = self._words()
        found = [index[w] for w in words(phrase) if w in index]
        if not found:
            return np.zeros(0, dtype=np.int64)
        rows, counts = np.unique(np.concatenate(found), return_counts=True)
        pop = self.catalog.popularity[rows].astype(np.int64)
        order = np.lexsort((-pop, -counts))
        return rows[order]

    def right_side(self, rows: np.ndarray, valence: float) -> np.ndarray:
        """Which of the rows sit on the target valence's side of the middle (unknown valence: not)."""
        v = self.catalog.features[rows, 0]
        return np.where(np.isnan(v), False, (v >= 0.5) if valence >= 0.5 else (v < 0.5))

    def suits(self, phrase: str, valence: float) -> bool:
        """True when the catalog finds tracks for the phrase and most of its best matches are on the target
        valence's side."""
        top = self.hits(phrase)[:TOP_HITS]
        return bool(len(top)) and float(self.right_side(top, valence).mean()) >= MIN_RIGHT_SIDE
