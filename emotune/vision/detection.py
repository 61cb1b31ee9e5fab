"""Finding faces: the detector interface, and OpenCV's Haar frontal-face cascade, which ships in the opencv
wheel (OpenCV < 5). The default detector is BlazeFace (emotune.vision.blazeface); the cascade is the fallback
when its model file is missing or broken (emotune.vision.factory)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from emotune.core.types import Box

log = logging.getLogger(__name__)


class DetectorUnavailable(RuntimeError):
    """The detector's model file is missing or unreadable."""


@runtime_checkable
class FaceDetector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[Box]:
        """Face boxes in image coordinates, largest first."""
        ...


class HaarFaceDetector:
    """Haar cascade tuned for webcam frames.

    Frames wider than `detect_width` are shrunk before detection (a 640×480 frame is searched at 320×240:
    four times less work, and a face at arm's length is still 60+ pixels there). `min_face_frac` ignores
    faces smaller than that share of the frame's shorter side (background people, posters).
    The cascade loads lazily on first use, in whichever thread detects.
    """

    name = "OpenCV Haar cascade"

    def __init__(self, cascade_path: str | Path | None = None, scale_factor: float = 1.1, min_neighbors: int = 5,
                 min_face_frac: float = 0.08, detect_width: int = 320, equalize: bool = False) -> None:
        self.cascade_path = Path(cascade_path) if cascade_path else Path(cv2.data.haarcascades) / (
            "haarcascade_frontalface_default.xml")
        self.scale_factor, self.min_neighbors = scale_factor, min_neighbors
        self.min_face_frac, self.detect_width = min_face_frac, detect_width
        # equalize=True (cv2.equalizeHist of the whole frame, the old default) stretches a mostly flat background
        # over the full range and squeezes the face's contrast: a face on a grey wall was found in 10 of 60
        # frames. Without it the cascade finds more faces on every background of benchmarks/detection_set.py,
        # dark ones included, and local equalisation (CLAHE) measured no better than none.
        self.equalize = equalize
        self.fallback_reason = ""  # why the default detector could not be used, when this one stands in for it
        self._cascade: cv2.CascadeClassifier | None = None

    def load(self) -> None:
        """Loads the cascade now (call it from a worker to keep the first frame fast)."""
        if self._cascade is not None:
            return
        cascade = cv2.CascadeClassifier(str(self.cascade_path))
        if cascade.empty():
            raise DetectorUnavailable(
                f"Cannot load the face detector from {self.cascade_path}. "
                "Reinstall EmoTune (opencv-python-headless<5 ships the cascade)."
            )
        self._cascade = cascade

    def detect(self, image_bgr: np.ndarray) -> list[Box]:
        self.load()
        gray = image_bgr if image_bgr.ndim == 2 else cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        h, w = gray.shape[:2]
        scale = min(1.0, self.detect_width / w) if w else 1.0
        small = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) \
            if scale < 1.0 else gray
        if self.equalize:
            small = cv2.equalizeHist(small)
        min_side = max(24, int(self.min_face_frac * min(small.shape[:2])))
        found = self._cascade.detectMultiScale(
            small, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors, minSize=(min_side, min_side)
        )
        boxes = [Box(*(int(round(v / scale)) for v in rect)) for rect in found] if len(found) else []
        return sorted(boxes, key=lambda b: b.area, reverse=True)
