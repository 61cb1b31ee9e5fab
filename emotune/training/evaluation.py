"""Scoring a model on FER2013: accuracy with and without flip TTA, per-class recall, the confusion matrix,
and calibration (expected calibration error before and after a temperature fitted on PublicTest), so the
confidence the GUI shows and the mood smoothing averages mean what they say.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from emotune.core.emotions import EMOTIONS, N_EMOTIONS

Predict = Callable[[np.ndarray], np.ndarray]  # uint8 faces (n, s, s, 1) -> probabilities (n, 7)


def predict_with_tta(predict: Predict, x: np.ndarray, tta: bool) -> np.ndarray:
    """Probabilities, averaged with those of the mirrored faces when `tta` (horizontal flip)."""
    probs = predict(x)
    if tta:
        probs = (probs + predict(np.ascontiguousarray(x[:, :, ::-1]))) / 2.0
    return probs


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T): the same as dividing the logits by T, done on probabilities."""
    logp = np.log(np.clip(probs, 1e-12, 1.0)) / float(temperature)
    logp -= logp.max(axis=1, keepdims=True)
    e = np.exp(logp)
    return e / e.sum(axis=1, keepdims=True)


def nll(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, 1.0))))


def fit_temperature(probs: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising negative log-likelihood on held-out faces (Guo et al. 2017), by a coarse
    log-spaced grid and a fine one around its best point (one parameter: no optimiser needed)."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 80))
    best = min(grid, key=lambda t: nll(apply_temperature(probs, t), y))
    fine = np.linspace(best / 1.05, best * 1.05, 41)
    return float(min(fine, key=lambda t: nll(apply_temperature(probs, t), y)))


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """ECE over equal-width confidence bins: the mean gap between confidence and accuracy, weighted by bin size."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(ece)


def confusion_matrix(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Rows: true class, columns: predicted class, FER order."""
    return np.bincount(y * N_EMOTIONS + pred, minlength=N_EMOTIONS * N_EMOTIONS).reshape(N_EMOTIONS, N_EMOTIONS)


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    accuracy_tta: float
    per_class_recall: dict[str, float]
    confusion: np.ndarray
    temperature: float
    ece_before: float
    ece_after: float
    nll_before: float
    nll_after: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4), "accuracy_tta": round(self.accuracy_tta, 4),
            "per_class_recall_tta": {k: round(v, 4) for k, v in self.per_class_recall.items()},
            "confusion_matrix_tta": self.confusion.tolist(), "temperature": round(self.temperature, 4),
            "ece_before_temperature": round(self.ece_before, 4), "ece_after_temperature": round(self.ece_after, 4),
            "nll_before_temperature": round(self.nll_before, 4), "nll_after_temperature": round(self.nll_after, 4),
            "faces": self.n,
        }

    def format(self) -> str:
        lines = [
            f"faces: {self.n}",
            f"accuracy: {self.accuracy:.2%} (no TTA), {self.accuracy_tta:.2%} (flip TTA)",
            f"calibration (TTA): temperature {self.temperature:.3f} fitted on PublicTest; "
            f"ECE {self.ece_before:.2%} -> {self.ece_after:.2%}, NLL {self.nll_before:.3f} -> {self.nll_after:.3f}",
            "per-class recall (TTA):",
        ]
        lines += [f"  {k:<9}{v:7.2%}" for k, v in self.per_class_recall.items()]
        lines.append("confusion matrix (rows true, columns predicted, TTA):")
        lines.append(" " * 10 + "".join(f"{e[:7]:>8}" for e in EMOTIONS))
        lines += [f"{EMOTIONS[i]:<10}" + "".join(f"{v:8d}" for v in row) for i, row in enumerate(self.confusion)]
        return "\n".join(lines)


def evaluate(predict: Predict, x_test: np.ndarray, y_test: np.ndarray, x_val: np.ndarray | None = None,
             y_val: np.ndarray | None = None, temperature: float | None = None) -> Evaluation:
    """Scores raw (uncalibrated) `predict` on the test faces. The temperature is fitted on the validation
    faces (PublicTest) with TTA on, unless given."""
    plain = predict(x_test)
    flipped = predict(np.ascontiguousarray(x_test[:, :, ::-1]))
    tta = (plain + flipped) / 2.0
    if temperature is None:
        if x_val is None or y_val is None:
            temperature = 1.0
        else:
            temperature = fit_temperature(predict_with_tta(predict, x_val, True), y_val)
    calibrated = apply_temperature(tta, temperature)
    pred = tta.argmax(axis=1)
    cm = confusion_matrix(y_test, pred)
    recall = {e: float(cm[i, i] / cm[i].sum()) if cm[i].sum() else 0.0 for i, e in enumerate(EMOTIONS)}
    return Evaluation(
        accuracy=float((plain.argmax(axis=1) == y_test).mean()), accuracy_tta=float((pred == y_test).mean()),
        per_class_recall=recall, confusion=cm, temperature=float(temperature),
        ece_before=expected_calibration_error(tta, y_test), ece_after=expected_calibration_error(calibrated, y_test),
        nll_before=nll(tta, y_test), nll_after=nll(calibrated, y_test), n=len(y_test),
    )


@dataclass(frozen=True)
class PairedDifference:
    """Two models scored on the same faces: the accuracy difference (b − a) and the noise of that difference.
    Both models get most faces right or wrong together, so the paired standard error is a fraction of either
    accuracy's own (~0.8 points on PublicTest): a 0.4-point lead can be real, or noise, and this says which."""

    n: int
    only_b: int    # faces b gets right and a does not
    only_a: int    # the reverse

    @property
    def difference(self) -> float:
        return (self.only_b - self.only_a) / self.n

    @property
    def standard_error(self) -> float:
        discordant = self.only_a + self.only_b
        return float(np.sqrt(max(discordant - (self.only_b - self.only_a) ** 2 / self.n, 0.0))) / self.n

    @property
    def p_value(self) -> float:
        """Exact two-sided McNemar test: the chance of a split this uneven among the faces where they differ."""
        from math import comb

        k, m = min(self.only_a, self.only_b), self.only_a + self.only_b
        if m == 0:
            return 1.0
        return min(1.0, 2.0 * sum(comb(m, i) for i in range(k + 1)) / 2.0 ** m)

    def describe(self) -> str:
        return (f"{self.difference * 100:+.2f} points (paired s.e. {self.standard_error * 100:.2f}; right only here "
                f"{self.only_b}, only there {self.only_a}; McNemar p = {self.p_value:.3f})")


def paired_difference(right_a: np.ndarray, right_b: np.ndarray) -> PairedDifference:
    """`right_a`, `right_b`: per face, whether model a and model b got it right (the same faces, in order)."""
    right_a, right_b = np.asarray(right_a, bool), np.asarray(right_b, bool)
    return PairedDifference(len(right_a), int((right_b & ~right_a).sum()), int((right_a & ~right_b).sum()))
