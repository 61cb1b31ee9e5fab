"""Class-prior (logit) adjustment: one number a class added to the model's log-probabilities after the card's
temperature, fitted by cross-entropy on labelled faces from several domains at once.

Why: on real faces the shipped model calls a third of the frowning, sad and surprised faces neutral, because
FER2013's neutral faces look more like a calm real face than its angry ones do. A per-class bias moves every
close call the same way, costs nothing per face, and is fitted on PublicTest plus real photos (never on
PrivateTest). Each group of faces weighs the same in the fit, whatever its size; within a group the classes
can be weighed equally (`balanced`), so a set with many neutral faces does not teach the bias that most
faces are neutral.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from emotune.core.emotions import N_EMOTIONS
from emotune.inference.calibrated import calibrate


@dataclass(frozen=True)
class FitGroup:
    """Faces of one domain: raw probabilities (n, 7) with TTA, their labels, and how to weigh them."""

    probs: np.ndarray
    y: np.ndarray
    weight: float = 1.0
    balanced: bool = False

    def sample_weights(self) -> np.ndarray:
        """Per-face weights summing to `weight` (equal per face, or equal per class present when balanced)."""
        if not len(self.y):
            return np.zeros(0)
        if self.balanced:
            counts = np.bincount(self.y, minlength=N_EMOTIONS).astype(float)
            w = 1.0 / counts[self.y]
            return self.weight * w / w.sum()
        return np.full(len(self.y), self.weight / len(self.y))


def fit_logit_bias(groups: Sequence[FitGroup], temperature: float = 1.0, l2: float = 1e-3,
                   steps: int = 500) -> np.ndarray:
    """The bias b (7,) minimising the weighted cross-entropy of softmax(log p / T + b) over all groups, plus
    `l2`·|b|² (keeps classes no group has from running off). Newton's method on a convex problem: exact to
    ~1e-9 in a few dozen steps. The mean of b is 0 (softmax ignores a common shift)."""
    logp = np.concatenate([np.log(np.clip(g.probs, 1e-12, 1.0)) / temperature for g in groups])
    y = np.concatenate([g.y for g in groups])
    w = np.concatenate([g.sample_weights() for g in groups])
    w = w / w.sum()
    onehot = np.eye(N_EMOTIONS)[y]
    b = np.zeros(N_EMOTIONS)
    for _ in range(steps):
        p = calibrate(np.exp(logp), 1.0, b)
        grad = (w[:, None] * (p - onehot)).sum(0) + 2 * l2 * b
        hess = np.einsum("n,ni,nj->ij", w, p, p)
        hess = np.diag((w[:, None] * p).sum(0)) - hess + 2 * l2 * np.eye(N_EMOTIONS)
        step = np.linalg.solve(hess + 1e-9 * np.eye(N_EMOTIONS), grad)
        b -= step
        if np.abs(step).max() < 1e-10:
            break
    return b - b.mean()


def person_folds(persons: Sequence[str], k: int = 5, seed: int = 22) -> np.ndarray:
    """A fold number (0..k-1) per item, every person's items in one fold (leave-people-out)."""
    people = sorted(set(persons))
    order = np.random.default_rng(seed).permutation(len(people))
    fold_of = {people[j]: i % k for i, j in enumerate(order)}
    return np.array([fold_of[p] for p in persons])
