"""What every EmoTune emotion classifier does around its network, whatever runs it (ONNX Runtime in the app,
Keras in training and evaluation): read the model card, check the model against it, crop faces the way the
model was trained, average with mirrored faces (the card's TTA), apply the card's temperature, batch large
requests, and keep the time spent. A subclass only opens its model file and says how to run a batch.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from emotune.core.emotions import EMOTIONS, N_EMOTIONS
from emotune.core.types import Box
from emotune.inference.classifier import ModelUnavailable
from emotune.inference.model_card import CardError, default_card, read_card
from emotune.inference.preprocessing import prepare_crops, prepare_faces

log = logging.getLogger(__name__)

MAX_BATCH = 64  # larger requests are run in chunks: bounded memory, one compiled shape family
FIX = ("Restore it from the EmoTune repository (models/emotion_cnn.onnx, .keras and .json), reinstall, or train "
       "one with `emotune train --data DIR --export models/emotion_cnn.keras` (it writes the .onnx too).")
Run = Callable[[np.ndarray], np.ndarray]  # float32 (n, s, s, 1) 0–255 -> probabilities (n, 7), TTA applied


def calibrate(probs: np.ndarray, temperature: float = 1.0, logit_bias: Sequence[float] | None = None) -> np.ndarray:
    """softmax(log p / T + b): the card's temperature, then its per-class logit bias (a class-prior
    adjustment fitted on PublicTest and real photos, which stops calm-looking faces winning every close call)."""
    logp = np.log(np.clip(np.asarray(probs, np.float64), 1e-12, 1.0)) / float(temperature)
    if logit_bias is not None:
        logp = logp + np.asarray(logit_bias, np.float64)
    e = np.exp(logp - logp.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def check_shapes(path: Path, shape_in: tuple, shape_out: tuple) -> int:
    """The model's square input side; ModelUnavailable unless it takes gray squares and returns 7 scores."""
    if len(shape_in) != 4 or shape_in[1] != shape_in[2] or shape_in[3] != 1 or shape_out[-1] != N_EMOTIONS:
        raise ModelUnavailable(
            f"The emotion model {path} takes {shape_in} and returns {shape_out}; EmoTune needs gray square faces "
            f"(None, s, s, 1) in and {N_EMOTIONS} probabilities out. {FIX}")
    return int(shape_in[1])


class CalibratedClassifier:
    """The EmotionClassifier behaviour; subclasses implement `_open(card) -> (run, input_size)`.

    `load()` is slow (call it from a worker thread); the rest is fast. `tta` None follows the card (flip
    averaging when the card says so); `margin` and `logit_bias` None follow the card. `card_path` False
    ignores any card (evaluation scores the raw model, then fits the temperature); without a card the
    defaults apply: FER classes, 48×48 gray, no TTA, temperature 1, no logit bias.
    """

    classes: tuple[str, ...] = EMOTIONS
    default_name = "emotion_cnn"

    def __init__(self, model_path: str | Path, card_path: str | Path | None | bool = None,
                 margin: float | None = None, tta: bool | None = None,
                 logit_bias: Sequence[float] | None = None) -> None:
        self.model_path = Path(model_path)
        self.card_path: Path | None = None if card_path is False else (
            Path(card_path) if card_path else self.model_path.with_suffix(".json"))
        self._margin_override, self._tta_override = margin, tta
        self._bias_override = None if logit_bias is None else [float(b) for b in logit_bias]
        self.card: dict[str, Any] = default_card()
        self.temperature = 1.0
        self.logit_bias = np.zeros(N_EMOTIONS)
        self.margin = float(margin) if margin is not None else float(self.card["margin"])
        self.tta = bool(tta) if tta is not None else False
        self.input_size = int(self.card["input_size"])
        self._run: Run | None = None
        self._lock = threading.Lock()
        self._calls, self._faces, self._seconds = 0, 0, 0.0

    @property
    def loaded(self) -> bool:
        return self._run is not None

    def _open(self, tta: bool) -> tuple[Run, int]:
        """Opens the model file: the batch function (with flip averaging when `tta`) and its input side.
        `self.card` already holds the card."""
        raise NotImplementedError

    def load(self) -> None:
        """Reads the card and the model and prepares the inference function, once; ModelUnavailable otherwise."""
        with self._lock:
            if self._run is not None:
                return
            card = self.card = self._read_card()
            tta = bool(self._tta_override) if self._tta_override is not None else card["tta"] == "flip"
            run, size = self._open(tta)
            if card["input_size"] != size and self.card_path is not None and self.card_path.is_file():
                log.warning("card says input %s, model takes %s: using the model's", card["input_size"], size)
            card["input_size"] = size
            self.input_size, self.tta = size, tta
            self.temperature = float(card["temperature"])
            bias = self._bias_override if self._bias_override is not None else card["logit_bias"]
            if len(bias) != N_EMOTIONS:
                raise ModelUnavailable(f"logit_bias needs {N_EMOTIONS} numbers, got {len(bias)}")
            self.logit_bias = np.asarray(bias, np.float64)
            self.margin = float(self._margin_override if self._margin_override is not None else card["margin"])
            run(np.zeros((1, size, size, 1), np.float32))  # trace/allocate now, not on frame one
            self._run = run
            log.info("emotion model %s loaded (input %d, TTA %s, T=%.3f)", self.model_path.name, size, tta,
                     self.temperature)

    def _read_card(self) -> dict[str, Any]:
        if self.card_path is None:
            return default_card()
        if not self.card_path.is_file():
            log.warning("no model card at %s: assuming FER classes, 48x48 gray, no calibration", self.card_path)
            return default_card()
        try:
            return read_card(self.card_path)
        except CardError as exc:
            raise ModelUnavailable(f"{exc}. {FIX}") from exc

    def predict_prepared(self, faces: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Probabilities (n, 7) for preprocessed faces (n, s, s, 1) uint8 0–255 — what training feeds;
        `calibrated` applies the card's temperature and logit bias."""
        self.load()
        faces = np.asarray(faces)
        if faces.ndim != 4 or faces.shape[1:] != (self.input_size, self.input_size, 1):
            raise ValueError(f"expected faces of shape (n, {self.input_size}, {self.input_size}, 1), got {faces.shape}")
        if not len(faces):
            return np.zeros((0, N_EMOTIONS), np.float32)
        t0 = time.perf_counter()
        with self._lock:
            parts = [self._run(faces[i:i + MAX_BATCH].astype(np.float32)) for i in range(0, len(faces), MAX_BATCH)]
        probs = np.concatenate(parts).astype(np.float64)
        self._calls, self._faces = self._calls + 1, self._faces + len(faces)
        self._seconds += time.perf_counter() - t0
        if calibrated and (self.temperature != 1.0 or self.logit_bias.any()):
            probs = calibrate(probs, self.temperature, self.logit_bias)
        return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)

    def classify(self, image_bgr: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """Calibrated probabilities (len(boxes), 7), FER order, for the faces at `boxes` in a BGR frame (each
        crop levelled by its box's roll)."""
        self.load()
        if not len(boxes):
            return np.zeros((0, N_EMOTIONS), np.float32)
        return self.predict_prepared(prepare_faces(image_bgr, boxes, self.input_size, self.margin))

    def classify_crops(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Calibrated probabilities for images that are each one face (BGR or gray, any size)."""
        self.load()
        if not len(crops):
            return np.zeros((0, N_EMOTIONS), np.float32)
        return self.predict_prepared(prepare_crops(crops, self.input_size))

    @property
    def ms_per_face(self) -> float:
        """Mean inference time per face so far (model call + TTA, excluding cropping), for status displays."""
        return 1000.0 * self._seconds / self._faces if self._faces else 0.0
