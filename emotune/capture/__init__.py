"""Frame sources: a camera, a video file or still images behind one VideoSource interface."""
from emotune.capture.errors import CaptureError, SourceLost, SourceUnavailable
from emotune.capture.sources import (
    CameraSource,
    ImageSource,
    VideoFileSource,
    VideoSource,
    list_cameras,
    open_source,
)

__all__ = [
    "CaptureError", "SourceLost", "SourceUnavailable", "VideoSource", "CameraSource", "VideoFileSource",
    "ImageSource", "open_source", "list_cameras",
]
