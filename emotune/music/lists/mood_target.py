"""From a mood to where the music should sit in audio-feature space, and how "lift" moves it.

The mapping (reasons in docs/music.md):
- valence and energy follow the emotion's place on Russell's circumplex (emotune.core.emotions), squeezed
  into 0..1: target = 0.5 + 0.45 * coordinate. The whole distribution is used (its expected value), so
  "60 % sad, 30 % neutral" sits between the two instead of jumping to pure sadness.
- danceability and acousticness add texture: sad and fearful moods lean acoustic and less danceable,
  happy and surprised lean danceable. They weigh less than valence and energy.
- a flat distribution (low confidence) widens nothing but is named in the reason ("mixed mood").
- lift follows the iso principle of music therapy: meet the listener where they are for the first tracks,
  then move step by step (smoothstep, never a jump) toward a positive, moderately energetic target.
- a target from the analysis, when given, is blended in at LLM_WEIGHT (match) or becomes the
  destination (lift): it has read the last minutes, the face distribution only the last seconds. It is
  computed from the measured history, trend and goal (emotune.llm.targets), not written by the model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emotune.core.emotions import EMOTIONS, VALENCE_AROUSAL, as_distribution
from emotune.core.mood import MoodSnapshot
from emotune.music.track import FEATURES

MODES = ("match", "lift")
SCALE = 0.45
LLM_WEIGHT = 0.5
LIFT_GOAL = (0.80, 0.62)          # valence, energy the lift ends at: bright, moderately energetic
FEATURE_WEIGHTS = np.array([1.0, 1.0, 0.35, 0.35], dtype=np.float32)  # order of FEATURES

# danceability, acousticness per emotion (texture; valence/energy come from the circumplex)
TEXTURE: dict[str, tuple[float, float]] = {
    "angry": (0.55, 0.05),          # driving, electric
    "disgust": (0.50, 0.20),
    "fear": (0.30, 0.55),           # tense and sparse: angry and fear sit close in valence/energy, not in texture
    "happy": (0.72, 0.20),
    "sad": (0.40, 0.60),
    "surprise": (0.68, 0.20),
    "neutral": (0.60, 0.35),
}
_MATCH = np.array(
    [[0.5 + SCALE * VALENCE_AROUSAL[e][0], 0.5 + SCALE * VALENCE_AROUSAL[e][1], *TEXTURE[e]] for e in EMOTIONS],
    dtype=np.float64,
)


@dataclass(frozen=True)
class MoodTarget:
    """Targets per list position (one row when every position shares it), plus the words for reasons."""

    mode: str
    points: tuple[tuple[float, ...], ...]   # per position: valence, energy, danceability, acousticness
    mood_words: str                         # "sad, tired" — what the listener's mood reads as
    start: tuple[float, ...]
    goal: tuple[float, ...]

    def at(self, position: int) -> tuple[float, ...]:
        return self.points[min(position, len(self.points) - 1)]

    def as_array(self) -> np.ndarray:
        return np.array(self.points, dtype=np.float32)


def match_point(distribution) -> np.ndarray:
    """Expected (valence, energy, danceability, acousticness) of a distribution over the seven emotions."""
    return as_distribution(distribution) @ _MATCH


def mood_words(snapshot: MoodSnapshot) -> str:
    """One or two emotions that carry the mood, plus how activated it is: "sad, tired", "happy, lively"."""
    dist = np.asarray(snapshot.distribution, dtype=float)
    order = np.argsort(-dist)
    names = [EMOTIONS[order[0]]]
    if dist[order[1]] >= 0.25 and dist[order[1]] >= 0.5 * dist[order[0]]:
        names.append(EMOTIONS[order[1]])
    if dist[order[0]] < 0.35:
        names = ["mixed"] + names[:1]
    arousal = snapshot.arousal
    if arousal < -0.25:
        names.append("tired" if snapshot.valence < 0 else "calm")
    elif arousal > 0.55:
        names.append("tense" if snapshot.valence < -0.2 else "lively")
    return ", ".join(dict.fromkeys(names))


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def mood_target(snapshot: MoodSnapshot, mode: str = "match", n: int = 10,
                target_valence: float | None = None, target_energy: float | None = None) -> MoodTarget:
    """The target for `n` list positions. `target_valence`/`target_energy` (0..1) come from the analysis
    (computed from the measured history by emotune.llm.targets, on this module's scale)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    start = match_point(snapshot.distribution)
    llm = np.array([np.nan, np.nan])
    if target_valence is not None:
        llm[0] = float(np.clip(target_valence, 0, 1))
    if target_energy is not None:
        llm[1] = float(np.clip(target_energy, 0, 1))
    n = max(1, int(n))
    if mode == "match":
        point = start.copy()
        for k in range(2):
            if not np.isnan(llm[k]):
                point[k] = (1 - LLM_WEIGHT) * point[k] + LLM_WEIGHT * llm[k]
        points = point[None, :]
        goal = point
    else:
        goal = start.copy()
        goal[0], goal[1] = LIFT_GOAL
        goal[2] = max(start[2], 0.6)
        goal[3] = min(start[3], 0.35)
        for k in range(2):
            if not np.isnan(llm[k]):
                goal[k] = llm[k]
        # iso principle: the first quarter (at least one track) meets the mood, then smooth steps upward
        hold = max(1, n // 4)
        t = (np.arange(n) - (hold - 1)) / max(1, n - hold)
        points = start + _smoothstep(t)[:, None] * (goal - start)
    return MoodTarget(
        mode=mode, points=tuple(tuple(round(float(x), 4) for x in p) for p in points),
        mood_words=mood_words(snapshot), start=tuple(float(x) for x in start), goal=tuple(float(x) for x in goal),
    )


__all__ = ["FEATURES", "FEATURE_WEIGHTS", "MODES", "MoodTarget", "match_point", "mood_target", "mood_words"]
