"""Consistent teaching: the teacher (ONNX emotion models, their probabilities averaged) reads the very picture the
student trains on, after the augmentation and any mixup, instead of a row stored for the clean picture.

Why: a stored row (`soft_targets`) tells the student that a face rotated, shifted, darkened or half-erased is as
clear as the original. Measured on 4,096 Training faces with the webcam augmentation and the shipped + width-32
pair: the pair's stored rows agree with the labels on 81.5 % of the faces, its reading of the augmented pictures
on 75.9 %, and the two disagree on the top emotion for 15 % of them. Distillation that matches the teacher's
function on the same views ("a good teacher is patient and consistent", Beyer et al. 2022) is the remedy. It
costs one teacher pass a picture per epoch (~3 ms a face for the pair on two threads here)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from emotune.core.emotions import N_EMOTIONS


class TeacherError(ValueError):
    """The teacher models cannot be used for this run; the message says why."""


@dataclass(frozen=True)
class LiveTeacher:
    """Teacher models (`predict_prepared` classifiers) and the teacher's share `weight` of each target."""

    models: tuple
    weight: float

    def probabilities(self, pictures: np.ndarray) -> np.ndarray:
        """(n, 7) float32: the mean of the models' raw probabilities (no temperature, no logit bias)."""
        return mean_probabilities(self.models, pictures).astype(np.float32)

    def targets(self, pictures: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """`weight · teacher(pictures) + (1 − weight) · labels`, where `labels` are the (mixed) one-hot rows."""
        return (self.weight * self.probabilities(pictures) + (1.0 - self.weight) * labels).astype(np.float32)


def mean_probabilities(models: Sequence, pictures: np.ndarray) -> np.ndarray:
    """(n, 7) float64: the mean of `predict_prepared` classifiers' raw probabilities for prepared pictures."""
    total = np.zeros((len(pictures), N_EMOTIONS))
    for model in models:
        total += model.predict_prepared(pictures, calibrated=False)
    return total / len(models)


def teacher_fingerprints(paths: Sequence[str], recorded: dict[str, str] | None,
                         reexports: Sequence[dict] = ()) -> dict[str, str]:
    """The teachers' sha256 by path, checked against those a run `recorded` when it began: a run that spans
    sessions must not change teacher halfway because a file at the same path was replaced (a new shipped model).
    The same weights exported on another CPU give other bytes; such a file is accepted once the run lists its
    digest in `reexports` (`scripts/export_run_weights.py --for-run`). Returns the digests the run began with."""
    from emotune.inference.onnx_classifier import file_sha256

    now = {str(path): file_sha256(Path(path)) for path in paths if Path(path).is_file()}
    accepted = {path: {digest} for path, digest in (recorded or {}).items()}
    for entry in reexports:
        accepted.setdefault(entry["path"], set()).add(entry["sha256"])
    changed = [path for path, digests in accepted.items() if now.get(path) not in digests]
    if changed:
        raise TeacherError(f"the teacher {changed[0]} is not the file this run began with (its sha256 differs); put "
                           "that file back, or start a new run with the new teacher (the same weights exported on "
                           "another machine: record that file with scripts/export_run_weights.py --for-run)")
    return {**now, **(recorded or {})}


def reexport_entry(state: dict, path: str, digest: str, weights_digest: str) -> dict | None:
    """The record (for the run's "teacher_reexports") that lets a run go on with its teacher at `path` exported
    again from the same weights on another machine; None when the run already accepts `digest`. Refused for a
    path the run was not taught by, and for weights other than those of an earlier re-export. The first re-export
    is taken on trust: a run records its teachers' files, not the weights they were exported from."""
    recorded = state.get("teacher_sha256") or {}
    if path not in recorded:
        raise TeacherError(f"this run was not taught by {path}; its teachers are {', '.join(recorded) or 'none'}")
    earlier = [entry for entry in state.get("teacher_reexports", ()) if entry["path"] == path]
    if digest == recorded[path] or any(entry["sha256"] == digest for entry in earlier):
        return None
    if any(entry["weights_sha256"] != weights_digest for entry in earlier):
        raise TeacherError(f"{path} was exported from other weights than its earlier re-export; start a new run")
    return {"path": path, "sha256": digest, "weights_sha256": weights_digest, "from_epoch": state["epochs_done"] + 1}


def load_live_teacher(paths: Sequence[str], weight: float, input_size: int,
                      threads: int | None = None) -> LiveTeacher:
    """Opens the ONNX teachers at `paths`; a missing, unreadable or differently sized model is refused."""
    from emotune.inference.classifier import ModelUnavailable
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier

    if not 0.0 <= weight <= 1.0:
        raise TeacherError(f"the teacher's share of the target must be between 0 and 1, not {weight}")
    models = []
    for path in paths:
        if Path(path).suffix != ".onnx" or not Path(path).is_file():
            raise TeacherError(f"the teacher {path} is not an ONNX model file here; scripts/export_run_weights.py "
                               "writes one from a run")
        model = OnnxEmotionClassifier(path, card_path=False, tta=False, threads=threads or os.cpu_count() or 1)
        try:
            model.load()
        except ModelUnavailable as exc:
            raise TeacherError(f"the teacher {path} is corrupt or not an emotion model; export it again with "
                               "scripts/export_run_weights.py") from exc
        if model.input_size != input_size:
            raise TeacherError(f"the teacher {path} reads {model.input_size}-pixel faces and this run trains on "
                               f"{input_size}-pixel ones; give a teacher of the same input size")
        models.append(model)
    return LiveTeacher(tuple(models), float(weight))
