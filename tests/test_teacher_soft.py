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


def _gpu_teacher():
    spec = importlib.util.spec_from_file_location("gpu_teacher", REPO / "scripts" / "gpu_teacher.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gpu_teachers_weights_come_back_in_shards_the_device_returns(tmp_path, monkeypatch):
    gpu = _gpu_teacher()
    monkeypatch.setattr(gpu, "SHARD_BYTES", 1000)    # 500 float16 values a file
    weights = [np.random.default_rng(i).normal(size=shape).astype(np.float32)
               for i, shape in enumerate([(10, 20), (300,), (7,), (400,)])]   # 200 + 300 | 7 + 400 values
    names = gpu.save_shards(weights, tmp_path, "seed1-average", budget=3)
    assert names == ["seed1-average.part0.npz", "seed1-average.part1.npz"]
    back = gpu.read_shards([tmp_path / n for n in names])
    assert [w.shape for w in back] == [w.shape for w in weights]
    for w, b in zip(weights, back):
        np.testing.assert_allclose(b, w, rtol=1e-3, atol=1e-3)       # float16 on the way
    assert gpu.save_shards(weights, tmp_path, "seed2-average", budget=1) == []   # over the file budget
    assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_the_gpu_teachers_scores_are_the_issues_figures():
    gpu = _gpu_teacher()
    y = np.array([0, 3, 6, 6])                         # angry, happy, neutral, neutral
    p = np.zeros((4, 2, 7))
    p[0, :, 6] = 1                                      # angry read as neutral, in both views
    p[1, 0, 3], p[1, 1, 6] = 0.9, 0.1                   # happy, its mirror a little neutral
    p[2, :, 6] = 1
    p[3, 0, 2], p[3, 1, 6] = 0.6, 1.0                   # neutral only with the mirror
    s = gpu.scores(p, y)
    assert (s["accuracy"], s["accuracy_tta"]) == (0.5, 0.75)
    assert (s["non_neutral_called_neutral"], s["neutral_recall"]) == (0.5, 1.0)
