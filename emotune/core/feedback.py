"""What the user's feedback means for ranking, as plain numbers the recommender can use.

The journal computes these from likes and skips; the recommender adds them to its score and names the
effect in the track's reason line. Values are in [-1, 1]: positive for liked, negative for skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class FeedbackBoosts:
    mood: str = ""                                          # the emotion these boosts were learned for
    tracks: Mapping[str, float] = field(default_factory=dict)   # Spotify track id -> boost
    artists: Mapping[str, float] = field(default_factory=dict)  # lower-cased artist name -> boost
    excluded: frozenset[str] = frozenset()                  # track ids marked "not for this mood"

    def is_empty(self) -> bool:
        return not (self.tracks or self.artists or self.excluded)
