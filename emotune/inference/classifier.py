"""The interface every emotion classifier offers; the app and tests depend on this, not on Keras."""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from emotune.core.types import Box


class ModelUnavailable(RuntimeError):
    """The emotion model is missing, corrupt or incompatible; the text says which and what to do."""


@runtime_checkable
class EmotionClassifier(Protocol):
    classes: tuple[str, ...]

    def load(self) -> None:
        """Loads weights and compiles the inference function (slow: call from a worker thread)."""
        ...

    def classify(self, image_bgr: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """Probabilities, shape (len(boxes), 7) in FER order, for the faces at `boxes` in one frame."""
        ...

    def classify_crops(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Probabilities for images that are each already one face (BGR or gray, any size)."""
        ...
