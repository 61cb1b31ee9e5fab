"""The list for a mood and an analysis: the one function the window's music service and `emotune recommend
--from-analysis` both call, so a list on screen can be reproduced (and checked) from the command line.

Why one function: the window built its request in the GUI service and the command line built another, so the
two drifted (targets, suggested genres, filters). Here the analysis, the listener's settings and the journal's
boosts become one RecommendationRequest the same way for both.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from emotune.core.feedback import FeedbackBoosts
from emotune.core.mood import MoodSnapshot
from emotune.music.genres import resolve
from emotune.music.lists.recommender import RecommendationSession, Recommender
from emotune.music.lists.values import RecommendationRequest, RecommendationResult

# the analysis' mood label -> the emotion whose targets stand for it when no snapshot is given
LABEL_EMOTION: dict[str, str] = {
    "happy": "happy", "content": "happy", "calm": "neutral", "neutral": "neutral", "surprised": "surprise",
    "tense": "fear", "anxious": "fear", "angry": "angry", "sad": "sad",
}


@dataclass(frozen=True)
class AnalysisHints:
    """What the list takes from an analysis: its targets, the genres it chose, and which of those its text names
    (only a named genre may be called "suggested by the analysis" in a reason)."""

    mood: str = ""
    target_valence: float | None = None
    target_energy: float | None = None
    genres: tuple[str, ...] = ()
    named_genres: tuple[str, ...] = ()

    @classmethod
    def of(cls, analysis: Any) -> AnalysisHints:
        """From an emotune.llm Analysis, its `to_json()` dict (`emotune analyze --json`), or None."""
        if analysis is None:
            return cls()
        get = analysis.get if isinstance(analysis, Mapping) else (lambda k, d=None: getattr(analysis, k, d))
        genres = tuple(str(g).strip().lower() for g in (get("genres", ()) or ()) if str(g).strip())
        text = str(get("summary", "") or "").lower()
        named = tuple(g for g in genres if re.search(rf"(?<!\w){re.escape(g)}(?!\w)", text)
                      or re.search(rf"(?<!\w){re.escape(resolve(g))}(?!\w)", text))
        return cls(str(get("mood", "") or ""), _unit(get("target_valence")), _unit(get("target_energy")), genres, named)

    def mood_snapshot(self) -> MoodSnapshot | None:
        """The analysis' mood as a snapshot, for a caller that has no measured one."""
        emotion = LABEL_EMOTION.get(self.mood.strip().lower())
        return MoodSnapshot.manual_mood(emotion) if emotion else None


@dataclass(frozen=True)
class ListSettings:
    """The listener's settings that shape a list (the window's Preferences, or the command line's options)."""

    mode: str = "match"
    n: int = 10
    genres: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    no_explicit: bool = False


def _unit(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if 0.0 <= x <= 1.0 else None


def list_request(mood: MoodSnapshot, hints: AnalysisHints, settings: ListSettings,
                 feedback: FeedbackBoosts | None = None) -> RecommendationRequest:
    return RecommendationRequest(
        mood=mood, mode=settings.mode, n=settings.n, target_valence=hints.target_valence,
        target_energy=hints.target_energy, genres=tuple(g.strip().lower() for g in settings.genres if g.strip()),
        suggested_genres=hints.genres, named_genres=hints.named_genres,
        languages=tuple(x.strip().lower() for x in settings.languages if x.strip()),
        allow_explicit=not settings.no_explicit, feedback=feedback)


def list_for_analysis(recommender: Recommender, mood: MoodSnapshot, hints: AnalysisHints, settings: ListSettings,
                      feedback: FeedbackBoosts | None = None,
                      session: RecommendationSession | None = None) -> RecommendationResult:
    """The list the window shows for this mood, analysis, settings and journal boosts."""
    return recommender.recommend(list_request(mood, hints, settings, feedback), session)
