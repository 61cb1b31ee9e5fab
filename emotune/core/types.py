"""Plain values that cross module and thread boundaries: frames, boxes and per-face results (a whole frame's
result, which carries a mood, is in emotune.core.frame_result)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emotune.core.emotions import EMOTIONS, to_mapping


@dataclass(frozen=True)
class Frame:
    """One image from a source. `image` is BGR uint8 (OpenCV's layout); `timestamp` is seconds (monotonic
    for live sources, media time for files)."""

    image: np.ndarray
    timestamp: float
    index: int
    source: str = ""

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.image.shape[:2]
        return w, h


@dataclass(frozen=True)
class Box:
    """A face rectangle in pixel coordinates of the frame it was found in. `roll` is the angle of the face's
    eye line in degrees (clockwise positive) when the detector knows it; the emotion crop is levelled by it."""

    x: int
    y: int
    w: int
    h: int
    roll: float = 0.0

    @property
    def area(self) -> int:
        return self.w * self.h

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def iou(self, other: Box) -> float:
        """Intersection over union, used to match faces across frames."""
        x1, y1 = max(self.x, other.x), max(self.y, other.y)
        x2 = min(self.x + self.w, other.x + other.w)
        y2 = min(self.y + self.h, other.y + other.h)
        inter = max(0, x2 - x1) * max(0, y2 - y1)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def as_list(self) -> list[int]:
        return [int(self.x), int(self.y), int(self.w), int(self.h)]


@dataclass(frozen=True)
class FaceResult:
    """A face with its emotion probabilities (FER order). `track_id` links the same face across frames."""

    box: Box
    scores: np.ndarray
    track_id: int = -1

    @property
    def emotion(self) -> str:
        return EMOTIONS[int(np.argmax(self.scores))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.scores))

    def to_json(self) -> dict:
        return {"box": self.box.as_list(), "emotion": self.emotion, "scores": to_mapping(self.scores)}
