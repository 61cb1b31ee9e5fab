"""The benchmarks' input video: the bundled three-face sample at 640×480, panning a few pixels from frame to
frame so that, as from a webcam, neighbouring frames differ."""
from __future__ import annotations

from pathlib import Path


def make_video(path: Path, seconds: float, fps: float) -> Path:
    import cv2
    import numpy as np

    from emotune.resources import asset_path

    image = cv2.imread(str(asset_path("sample_faces.jpg")))
    if image is None:
        raise SystemExit("assets/sample_faces.jpg is missing")
    image = cv2.resize(image, (640, 480))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    for i in range(int(seconds * fps)):
        writer.write(np.roll(image, (i % 20) - 10, axis=1))
    writer.release()
    return path
