"""The Haar detector on frames composed from real FER2013 faces."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import compose_frame, fer_test_faces
from emotune.resources import asset_path
from emotune.vision import DetectorUnavailable, HaarFaceDetector


def test_finds_the_three_sample_faces_largest_first():
    image = cv2.imread(str(asset_path("sample_faces.jpg")))
    boxes = HaarFaceDetector().detect(image)
    assert len(boxes) == 3
    assert [b.area for b in boxes] == sorted((b.area for b in boxes), reverse=True)
    for b in boxes:
        assert 120 <= b.w <= 220 and 130 <= b.y <= 200


def test_faces_of_different_sizes_sorted_and_in_place(fer_dir):
    faces = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p, _ in fer_test_faces(fer_dir, 1)[3:4]]
    frame = np.full((480, 640, 3), 80, np.uint8)
    small = compose_frame(faces, face_px=120)
    big = compose_frame(faces, face_px=220)
    frame[:, :320] = small[:, :320]
    frame[:, 320:] = big[:, :320]
    boxes = HaarFaceDetector().detect(frame)
    assert len(boxes) >= 2
    assert boxes[0].x >= 320 and boxes[0].w > boxes[-1].w


def test_empty_frame_has_no_faces():
    assert HaarFaceDetector().detect(np.full((480, 640, 3), 127, np.uint8)) == []


def test_missing_cascade_is_a_clear_error(tmp_path):
    with pytest.raises(DetectorUnavailable, match="Reinstall"):
        HaarFaceDetector(cascade_path=tmp_path / "none.xml").detect(np.zeros((10, 10, 3), np.uint8))
