"""Which face detector the app uses: BlazeFace (ONNX) by default, the Haar cascade when BlazeFace's model
file is missing or broken, so a damaged install still finds faces (less well) instead of none."""
from __future__ import annotations

import logging
from pathlib import Path

from emotune.vision.blazeface import BlazeFaceDetector
from emotune.vision.detection import DetectorUnavailable, FaceDetector, HaarFaceDetector

log = logging.getLogger(__name__)


def default_detector(blazeface_path: str | Path | None = None) -> FaceDetector:
    """A loaded detector (call from a worker thread: it opens model files). Raises DetectorUnavailable only
    when neither detector can be loaded."""
    blaze = BlazeFaceDetector(blazeface_path)
    try:
        blaze.load()
        return blaze
    except DetectorUnavailable as exc:
        log.warning("%s Falling back to OpenCV's Haar cascade (finds fewer tilted or dim faces).", exc)
        reason = str(exc)
    haar = HaarFaceDetector()
    haar.load()
    haar.fallback_reason = reason  # the window's status bar shows it
    return haar
