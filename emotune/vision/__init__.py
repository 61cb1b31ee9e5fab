"""Face detection: BlazeFace through ONNX Runtime by default, OpenCV's Haar cascade as the fallback."""
from emotune.vision.blazeface import BlazeFaceDetector, FaceDetection
from emotune.vision.detection import DetectorUnavailable, FaceDetector, HaarFaceDetector
from emotune.vision.factory import default_detector

__all__ = ["FaceDetector", "HaarFaceDetector", "BlazeFaceDetector", "FaceDetection", "DetectorUnavailable",
           "default_detector"]
