"""The app's emotion classifier: the shipped CNN's ONNX export (models/emotion_cnn.onnx, written by
`emotune train --export` and `emotune eval --update-card` beside the .keras) run by ONNX Runtime, with the
same card, crops, TTA and temperature as the Keras path. No TensorFlow: the app starts in a fraction of the
time and the bundle is a third of the size.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from emotune.inference.calibrated import FIX, CalibratedClassifier, check_shapes
from emotune.inference.classifier import ModelUnavailable
from emotune.onnx_session import open_session
from emotune.resources import model_path as resource_model_path

log = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class OnnxEmotionClassifier(CalibratedClassifier):
    """The shipped emotion CNN through ONNX Runtime. `threads` bounds ONNX Runtime's intra-op pool: a face is
    a few million multiply-adds, and the live app's CPU budget matters more than one call's latency."""

    name = "emotion_cnn (ONNX Runtime)"

    def __init__(self, model_path: str | Path | None = None, card_path: str | Path | None | bool = None,
                 margin: float | None = None, tta: bool | None = None, threads: int = 1,
                 logit_bias: Sequence[float] | None = None) -> None:
        super().__init__(model_path or resource_model_path("emotion_cnn.onnx"), card_path, margin, tta,
                         logit_bias)
        self.threads = threads
        self.session = None

    def _open(self, tta: bool) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
        if not self.model_path.is_file():
            raise ModelUnavailable(f"The emotion model file {self.model_path} is missing. {FIX}")
        try:
            session = open_session(self.model_path, self.threads)
        except Exception as exc:  # onnxruntime raises its own types for truncated or foreign files
            raise ModelUnavailable(
                f"The emotion model {self.model_path} is corrupt or not an ONNX model "
                f"({type(exc).__name__}: {str(exc)[:200]}). {FIX}") from exc
        inp, out = session.get_inputs()[0], session.get_outputs()[0]
        shape_in = tuple(d if isinstance(d, int) else None for d in inp.shape)
        size = check_shapes(self.model_path, shape_in, tuple(out.shape))
        self._warn_if_stale()
        self.session = session
        name = inp.name

        def run(x: np.ndarray) -> np.ndarray:
            if tta:
                n = len(x)
                p = session.run(None, {name: np.concatenate([x, x[:, :, ::-1]])})[0]
                return (p[:n] + p[n:]) / 2.0
            return session.run(None, {name: x})[0]

        return run, size

    def _warn_if_stale(self) -> None:
        """The card records which .keras the .onnx came from; a retrained .keras without a new export is
        logged (`emotune eval --update-card` exports again), not refused: the old model still works."""
        keras_file = self.model_path.with_suffix(".keras")
        made_from = (self.card.get("onnx") or {}).get("keras_sha256")
        if made_from and keras_file.is_file() and file_sha256(keras_file) != made_from:
            log.warning("%s was exported from another %s: run `emotune eval --data DIR --update-card` to export "
                        "the current one", self.model_path.name, keras_file.name)
