"""Face detection."""
from emotune.vision.detection import DetectorUnavailable, FaceDetector, HaarFaceDetector

__all__ = ["FaceDetector", "HaarFaceDetector", "DetectorUnavailable"]
