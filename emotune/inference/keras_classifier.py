"""EmoTune's own emotion CNN through Keras, for training and evaluation (the app runs its ONNX export).

Loads `models/emotion_cnn.keras` and its card lazily (once, thread-safe), compiles one inference function
for the active Keras backend (a tf.function with a batch-agnostic signature under TensorFlow, so it traces
once; no-grad eager under PyTorch; jit with padded power-of-two batches under JAX), and applies the card's
flip test-time augmentation and temperature so the probabilities are calibrated. `model.predict` per face
costs ~57 ms here; this path costs about a millisecond or two.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from emotune.inference.calibrated import FIX, CalibratedClassifier, check_shapes
from emotune.inference.classifier import ModelUnavailable
from emotune.resources import model_path as resource_model_path


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


class KerasEmotionClassifier(CalibratedClassifier):
    """The emotion CNN through Keras: what `emotune train` and `emotune eval` score and export. The app runs
    the same model through ONNX Runtime instead (emotune.inference.onnx_classifier), without TensorFlow."""

    def __init__(self, model_path: str | Path | None = None, card_path: str | Path | None | bool = None,
                 margin: float | None = None, tta: bool | None = None,
                 logit_bias: Sequence[float] | None = None) -> None:
        super().__init__(model_path or resource_model_path("emotion_cnn.keras"), card_path, margin, tta,
                         logit_bias)
        self.model = None

    def _open(self, tta: bool) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
        if not self.model_path.is_file():
            raise ModelUnavailable(f"The emotion model file {self.model_path} is missing. {FIX}")
        try:
            import keras
        except ImportError as exc:
            raise ModelUnavailable(f"{self.model_path.name} needs Keras and TensorFlow, which the app does not "
                                   "install: pip install 'emotune[train]' (or use the .onnx beside it)") from exc
        try:
            model = keras.saving.load_model(self.model_path, compile=False)
        except Exception as exc:  # keras raises many types for corrupt zips, bad configs, missing layers
            raise ModelUnavailable(
                f"The emotion model {self.model_path} is corrupt or was made by an incompatible Keras "
                f"({type(exc).__name__}: {str(exc)[:200]}). {FIX}") from exc
        size = check_shapes(self.model_path, tuple(model.input_shape), tuple(model.output_shape))
        self.model = model
        return compile_inference(model, tta), size
