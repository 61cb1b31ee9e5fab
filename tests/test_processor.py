"""The frame processor with the real detector and model: scheduling, carried-forward faces, timings, mood."""
from __future__ import annotations

import cv2
import pytest

from emotune.core.types import Frame
from emotune.inference.keras_classifier import KerasEmotionClassifier
from emotune.pipeline.processor import FrameProcessor, ProcessorConfig
from emotune.resources import asset_path
from emotune.vision import HaarFaceDetector

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def classifier():
    clf = KerasEmotionClassifier()
    clf.load()
    return clf


def frames(n, fps=10.0):
    image = cv2.imread(str(asset_path("sample_faces.jpg")))
    return [Frame(image, i / fps, i, "sample") for i in range(n)]


def test_classifies_every_kth_frame_and_carries_faces_between(classifier):
    proc = FrameProcessor(HaarFaceDetector(), classifier, config=ProcessorConfig(classify_every=3))
    results = [proc.process(f) for f in frames(7)]
    assert [r.classified for r in results] == [True, False, False, True, False, False, True]
    for r in results:
        assert len(r.faces) == 3
        assert r.mood is not None and r.mood.face_count == 3
    first, carried = results[0], results[1]
    assert [f.track_id for f in carried.faces] == [f.track_id for f in first.faces]
    assert (carried.faces[0].scores == first.faces[0].scores).all()
    assert results[0].timings.faces_classified == 3 and results[0].timings.ms_per_face > 0
    assert results[1].timings.classify_ms == 0 and results[1].timings.detect_ms > 0


def test_reset_starts_afresh(classifier):
    proc = FrameProcessor(HaarFaceDetector(), classifier)
    proc.process(frames(1)[0])
    proc.reset()
    assert proc.process(frames(1)[0]).classified
