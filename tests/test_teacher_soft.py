"""The distillation campaign's first step (scripts/teacher_soft_targets.py): the teacher's soft predictions
are its raw probabilities for each picture and for its mirror image, averaged over the teachers."""
from __future__ import annotations

import importlib.util

import cv2
import numpy as np

from emotune.inference.onnx_classifier import OnnxEmotionClassifier
from emotune.inference.preprocessing import prepare_crops
from tests.conftest import REPO, fer_test_faces


def _script():
    spec = importlib.util.spec_from_file_location("teacher_soft_targets", REPO / "scripts" / "teacher_soft_targets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_teacher_predictions_cover_each_picture_and_its_mirror(fer_dir):
    clf = OnnxEmotionClassifier(tta=False)
    clf.load()
    faces = prepare_crops([cv2.imread(str(p)) for p, _ in fer_test_faces(fer_dir, 2)], clf.input_size)
    out = _script().teacher_probs([clf, clf], faces)
    assert out.shape == (len(faces), 2, 7)
    np.testing.assert_allclose(out[:, 0], clf.predict_prepared(faces, calibrated=False), atol=1e-6)
    np.testing.assert_allclose(out[:, 1], clf.predict_prepared(faces[:, :, ::-1].copy(), calibrated=False), atol=1e-6)
    assert not np.allclose(out[:, 0], out[:, 1])
