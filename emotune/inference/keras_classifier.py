"""EmoTune's own emotion CNN behind the EmotionClassifier interface.

Loads `models/emotion_cnn.keras` and its card lazily (once, thread-safe), compiles one inference function
for the active Keras backend (a tf.function with a batch-agnostic signature under TensorFlow, so it traces
once; no-grad eager under PyTorch; jit with padded power-of-two batches under JAX), and applies the card's
flip test-time augmentation and temperature so the probabilities are calibrated. `model.predict` per face
costs ~57 ms here; this path costs about a millisecond or two.
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
from emotune.resources import model_path as resource_model_path

log = logging.getLogger(__name__)

MAX_BATCH = 64  # larger requests are run in chunks: bounded memory, one compiled shape family
_FIX = ("Restore it from the EmoTune repository (models/emotion_cnn.keras and .json), reinstall, or train one "
        "with `emotune train --data DIR --export models/emotion_cnn.keras`.")


def compile_inference(model, tta: bool) -> Callable[[np.ndarray], np.ndarray]:
    """A function uint8/float batch (n, s, s, 1) -> probabilities (n, 7) for the active backend."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        s = model.input_shape[1]

        # autograph off: no data-dependent control flow here, and a bundle has no .py source for it to read
        @tf.function(input_signature=[tf.TensorSpec([None, s, s, 1], tf.float32)], reduce_retracing=True,
                     autograph=False)
        def run(x):
            if tta:
                n = tf.shape(x)[0]
                p = model(tf.concat([x, tf.reverse(x, axis=[2])], axis=0), training=False)
                return (p[:n] + p[n:]) / 2.0
            return model(x, training=False)

        return lambda x: run(tf.constant(x, tf.float32)).numpy()
    if backend == "torch":
        import torch

        def run_torch(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                # convert_to_tensor puts the batch on Keras' device (the GPU when training there)
                t = keras.ops.convert_to_tensor(np.ascontiguousarray(x, np.float32))
                if tta:
                    t = torch.cat([t, torch.flip(t, dims=[2])], 0)
                p = model(t, training=False).cpu().numpy()
            return (p[: len(x)] + p[len(x):]) / 2.0 if tta else p

        return run_torch
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        fn = jax.jit(lambda x: model(x, training=False))

        def run_jax(x: np.ndarray) -> np.ndarray:
            n = len(x)
            xx = np.concatenate([x, x[:, :, ::-1]]) if tta else x
            size = 1 << (len(xx) - 1).bit_length()  # pad to a power of two: a handful of compiled shapes
            padded = np.zeros((size, *xx.shape[1:]), np.float32)
            padded[: len(xx)] = xx
            p = np.asarray(fn(jnp.asarray(padded)))[: len(xx)]
            return (p[:n] + p[n:]) / 2.0 if tta else p

        return run_jax
    return lambda x: keras.ops.convert_to_numpy(model(x, training=False))


class KerasEmotionClassifier:
    """The shipped emotion CNN. `load()` is slow (call it from a worker thread); the rest is fast.

    `tta` None follows the card (flip averaging when the card says so); `margin` None follows the card.
    Without a card the defaults apply: FER classes, 48×48 gray, no TTA, temperature 1.
    """

    classes: tuple[str, ...] = EMOTIONS

    def __init__(self, model_path: str | Path | None = None, card_path: str | Path | None | bool = None,
                 margin: float | None = None, tta: bool | None = None) -> None:
        self.model_path = Path(model_path) if model_path else resource_model_path("emotion_cnn.keras")
        # card_path False: ignore any card (evaluation scores the raw model, then fits the temperature).
        self.card_path: Path | None = None if card_path is False else (
            Path(card_path) if card_path else self.model_path.with_suffix(".json"))
        self._margin_override, self._tta_override = margin, tta
        self.card: dict[str, Any] = default_card()
        self.temperature = 1.0
        self.margin = float(margin) if margin is not None else float(self.card["margin"])
        self.tta = bool(tta) if tta is not None else False
        self.input_size = int(self.card["input_size"])
        self.model = None
        self._run: Callable[[np.ndarray], np.ndarray] | None = None
        self._lock = threading.Lock()
        self._calls, self._faces, self._seconds = 0, 0, 0.0

    @property
    def loaded(self) -> bool:
        return self._run is not None

    def load(self) -> None:
        """Reads the card and weights and compiles the inference function, once; ModelUnavailable otherwise."""
        with self._lock:
            if self._run is not None:
                return
            card = self._read_card()
            model = self._read_model()
            shape_in, shape_out = tuple(model.input_shape), tuple(model.output_shape)
            if len(shape_in) != 4 or shape_in[1] != shape_in[2] or shape_in[3] != 1 or shape_out[-1] != N_EMOTIONS:
                raise ModelUnavailable(
                    f"The emotion model {self.model_path} takes {shape_in} and returns {shape_out}; EmoTune needs "
                    f"gray square faces (None, s, s, 1) in and {N_EMOTIONS} probabilities out. {_FIX}")
            if card["input_size"] != shape_in[1]:
                log.warning("card says input %s, model takes %s: using the model's", card["input_size"], shape_in[1])
                card["input_size"] = int(shape_in[1])
            self.card, self.model = card, model
            self.input_size = int(shape_in[1])
            self.temperature = float(card["temperature"])
            self.margin = float(self._margin_override if self._margin_override is not None else card["margin"])
            self.tta = bool(self._tta_override) if self._tta_override is not None else card["tta"] == "flip"
            run = compile_inference(model, self.tta)
            run(np.zeros((1, self.input_size, self.input_size, 1), np.float32))  # trace now, not on frame one
            self._run = run
            log.info("emotion model %s loaded (input %d, TTA %s, T=%.3f)", self.model_path.name, self.input_size,
                     self.tta, self.temperature)

    def _read_card(self) -> dict[str, Any]:
        if self.card_path is None:
            return default_card()
        if not self.card_path.is_file():
            log.warning("no model card at %s: assuming FER classes, 48x48 gray, no calibration", self.card_path)
            return default_card()
        try:
            return read_card(self.card_path)
        except CardError as exc:
            raise ModelUnavailable(f"{exc}. {_FIX}") from exc

    def _read_model(self):
        if not self.model_path.is_file():
            raise ModelUnavailable(f"The emotion model file {self.model_path} is missing. {_FIX}")
        try:
            import keras

            return keras.saving.load_model(self.model_path, compile=False)
        except Exception as exc:  # keras raises many types for corrupt zips, bad configs, missing layers
            raise ModelUnavailable(
                f"The emotion model {self.model_path} is corrupt or was made by an incompatible Keras "
                f"({type(exc).__name__}: {str(exc)[:200]}). {_FIX}") from exc

    def predict_prepared(self, faces: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Probabilities (n, 7) for preprocessed faces (n, s, s, 1) uint8 0–255 — what training feeds."""
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
        if calibrated and self.temperature != 1.0:
            logp = np.log(np.clip(probs, 1e-12, 1.0)) / self.temperature
            probs = np.exp(logp - logp.max(axis=1, keepdims=True))
        return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)

    def classify(self, image_bgr: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """Calibrated probabilities (len(boxes), 7), FER order, for the faces at `boxes` in a BGR frame."""
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
