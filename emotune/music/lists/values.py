"""The values of one recommendation: what was asked, each track picked, and the list. Apart from the recommender
so that the reasons (which the recommender uses) can name them and the imports go one way."""
from __future__ import annotations

from dataclasses import dataclass

from emotune.core.feedback import FeedbackBoosts
from emotune.core.mood import MoodSnapshot
from emotune.music.lists.mood_target import MoodTarget
from emotune.music.track import Track


@dataclass(frozen=True)
class RecommendationRequest:
    """Everything one recommendation depends on. `genres`/`languages` are the user's filters;
    `suggested_genres` and the targets come from the LLM analysis and only nudge the ranking."""

    mood: MoodSnapshot
    mode: str = "match"
    n: int = 10
    target_valence: float | None = None
    target_energy: float | None = None
    genres: tuple[str, ...] = ()
    suggested_genres: tuple[str, ...] = ()
    named_genres: tuple[str, ...] | None = None     # suggested genres the analysis' text names (None: all of them)
    languages: tuple[str, ...] = ()
    allow_explicit: bool = True
    exclude_ids: frozenset[str] = frozenset()
    feedback: FeedbackBoosts | None = None


@dataclass(frozen=True)
class Recommendation:
    track: Track
    reason: str
    position: int
    score: float
    distance: float                       # to this position's target (0 = perfect fit)
    relaxed: tuple[str, ...] = ()         # "genre", "language": filters this track is outside of
    liked: str = ""                       # "track", "artist" or "" (feedback that lifted it)

    def to_json(self) -> dict:
        return {"position": self.position, "reason": self.reason, "score": round(self.score, 4),
                "distance": round(self.distance, 4), "relaxed": list(self.relaxed), "liked": self.liked or None,
                "track": self.track.to_json()}


@dataclass(frozen=True)
class RecommendationResult:
    items: tuple[Recommendation, ...]
    notices: tuple[str, ...]              # plain sentences, the most important first
    target: MoodTarget

    @property
    def note(self) -> str:
        """The one sentence shown above the list (the other notices are its details)."""
        return self.notices[0] if self.notices else ""

    @property
    def tracks(self) -> list[Track]:
        return [r.track for r in self.items]
