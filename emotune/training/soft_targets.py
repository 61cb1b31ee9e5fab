"""Distillation targets: a teacher's probabilities for every Training picture and its mirror image
(`scripts/teacher_soft_targets.py` writes them as `teacher_soft.npz` with `teacher_soft.json` beside it), mixed
with the label as `a · teacher + (1 − a) · one-hot`. The file is bound to the data it was computed on: a
teacher file from other data (another decode, size or order) is refused, since its rows would belong to other
faces without any error showing it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotune.core.emotions import N_EMOTIONS


class SoftTargetError(ValueError):
    """The teacher file cannot be used with this data; the message says why."""


@dataclass(frozen=True)
class SoftTargets:
    """Teacher probabilities (n, 2, 7) float32 in Training order: [:, 0] the picture, [:, 1] its mirror."""

    rows: np.ndarray
    weight: float  # a: the teacher's share of the target

    def subset(self, index: np.ndarray) -> SoftTargets:
        return SoftTargets(self.rows[index], self.weight)

    def targets(self, labels: np.ndarray, order: np.ndarray, flips: np.ndarray) -> np.ndarray:
        """The (len(order), 7) targets of the faces `order` (indices into the Training faces), taking the
        mirror's row where `flips` says the augmentation mirrored the face."""
        teacher = self.rows[order, flips.astype(np.intp)]
        onehot = np.eye(N_EMOTIONS, dtype=np.float32)[labels[order]]
        return (self.weight * teacher + (1.0 - self.weight) * onehot).astype(np.float32)


def card_path(npz: Path) -> Path:
    """`teacher_soft.json` beside `teacher_soft.npz`."""
    return npz.with_suffix(".json")


def load_soft_targets(npz: str | Path, weight: float, data_sha256: str, labels: np.ndarray) -> SoftTargets:
    """The teacher rows of `npz` (`probs`, and `y` when stored), checked against the data they are for:
    `data_sha256` and `labels` are the loaded FER2013's hash and Training labels."""
    npz = Path(npz)
    if not 0.0 <= weight <= 1.0:
        raise SoftTargetError(f"the teacher's share of the target must be between 0 and 1, not {weight}")
    meta_path = card_path(npz)
    if not npz.is_file() or not meta_path.is_file():
        raise SoftTargetError(f"teacher soft targets need {npz} and {meta_path.name} beside it; "
                              "scripts/teacher_soft_targets.py writes both")
    meta = json.loads(meta_path.read_text())
    if meta.get("data_sha256") != data_sha256:
        raise SoftTargetError(f"{npz} was computed on other FER2013 data (its data sha256 "
                              f"{str(meta.get('data_sha256'))[:12]}… is not this data's {data_sha256[:12]}…); "
                              "recompute it with scripts/teacher_soft_targets.py on this data")
    with np.load(npz) as z:
        if "probs" not in z.files:
            raise SoftTargetError(f"{npz} has no 'probs' array; scripts/teacher_soft_targets.py writes one")
        rows = z["probs"].astype(np.float32)
        stored_labels = z["y"] if "y" in z.files else None
    if rows.shape != (len(labels), 2, N_EMOTIONS):
        raise SoftTargetError(f"{npz} holds {rows.shape} values; this data needs ({len(labels)}, 2, {N_EMOTIONS}): "
                              "one row per Training picture and one per mirror image")
    if stored_labels is not None and not np.array_equal(stored_labels, labels):
        raise SoftTargetError(f"{npz} lists other labels than this data's Training faces, in order")
    return SoftTargets(rows, float(weight))
