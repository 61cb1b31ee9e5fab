"""The seven FER2013 emotions, in FER order, and where each sits on the valence/arousal plane.

This module is the one place that lists the labels; everything else imports them from here.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
N_EMOTIONS = len(EMOTIONS)

# Russell's circumplex model, with coordinates in [-1, 1] close to the placements in
# Russell (1980) and the Valence/Arousal norms used for facial-expression datasets (AffectNet):
# valence is pleasant (+) vs unpleasant (-), arousal is activated (+) vs calm (-).
VALENCE_AROUSAL: dict[str, tuple[float, float]] = {
    "angry": (-0.60, 0.70),
    "disgust": (-0.65, 0.35),
    "fear": (-0.55, 0.75),
    "happy": (0.80, 0.45),
    "sad": (-0.70, -0.40),
    "surprise": (0.25, 0.80),
    "neutral": (0.00, -0.10),
}

_VA_MATRIX = np.array([VALENCE_AROUSAL[e] for e in EMOTIONS], dtype=np.float64)


def index_of(emotion: str) -> int:
    """Index of an emotion name in FER order; raises ValueError naming the valid labels."""
    try:
        return EMOTIONS.index(emotion.lower())
    except ValueError:
        raise ValueError(f"unknown emotion {emotion!r}; expected one of {', '.join(EMOTIONS)}") from None


def as_distribution(scores: Mapping[str, float] | Sequence[float] | np.ndarray) -> np.ndarray:
    """A 7-vector of probabilities (FER order) from a mapping or a sequence; normalised to sum 1."""
    if isinstance(scores, Mapping):
        vec = np.array([float(scores.get(e, 0.0)) for e in EMOTIONS], dtype=np.float64)
    else:
        vec = np.asarray(scores, dtype=np.float64).reshape(-1)
        if vec.shape != (N_EMOTIONS,):
            raise ValueError(f"expected {N_EMOTIONS} scores, got {vec.shape[0]}")
    vec = np.clip(vec, 0.0, None)
    total = vec.sum()
    return vec / total if total > 0 else np.full(N_EMOTIONS, 1.0 / N_EMOTIONS)


def to_mapping(vec: Sequence[float] | np.ndarray) -> dict[str, float]:
    """Label → probability, rounded for display and JSON."""
    return {e: round(float(p), 4) for e, p in zip(EMOTIONS, vec)}


def valence_arousal(distribution: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Expected valence and arousal of a distribution over the seven emotions."""
    v, a = as_distribution(distribution) @ _VA_MATRIX
    return float(v), float(a)


def signed(value: float) -> str:
    """A valence or arousal as people read it: signed, two decimals, and "+0.00" where a tiny negative
    would print "-0.00"."""
    return f"{round(float(value), 2) + 0.0:+.2f}"


def one_hot(emotion: str) -> np.ndarray:
    """A distribution that puts all weight on one emotion (manual mood overrides use it)."""
    vec = np.zeros(N_EMOTIONS)
    vec[index_of(emotion)] = 1.0
    return vec
