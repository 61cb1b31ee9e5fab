"""The distillation campaign's first step (scripts/teacher_soft_targets.py): the teacher's soft predictions
are its raw probabilities for each picture and for its mirror image, averaged over the teachers."""
from __future__ import annotations

import importlib.util
import json
from dataclasses import asdict

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


def test_the_gpu_student_learns_from_each_picture_and_its_mirror_mixed_with_the_label():
    gpu = _gpu_teacher()
    seed = np.zeros((2, 2, 7), np.float32)
    seed[:, 0, 2], seed[:, 1, 5] = 1.0, 1.0             # the seed reads fear, and surprise in the mirror
    shipped = np.full((2, 2, 7), 1 / 7, np.float32)
    targets = gpu.student_targets([seed, seed], np.array([3, 6]), shipped, soft_weight=0.6)
    assert targets.shape == (2, 2, 7)
    np.testing.assert_allclose(targets.sum(-1), 1.0, rtol=1e-6)
    # teacher = the mean of three equal members: two seeds and the shipped model
    np.testing.assert_allclose(targets[0, 0, 2], 0.6 * (2 / 3 + 1 / 21), rtol=1e-6)
    np.testing.assert_allclose(targets[0, 1, 5], 0.6 * (2 / 3 + 1 / 21), rtol=1e-6)
    np.testing.assert_allclose(targets[1, :, 6], 0.4 + 0.6 / 21, rtol=1e-6)   # the label, in both views
    alone = gpu.student_targets([seed], np.array([3, 6]), None, soft_weight=1.0)
    np.testing.assert_array_equal(alone, seed)


def test_the_gpu_students_weights_become_a_run_folder_the_cpu_scripts_read(tmp_path):
    from emotune.training.config import TrainConfig
    from emotune.training.models import build_model
    from emotune.training.trainer import _start_from, read_state

    gpu = _gpu_teacher()
    cfg = gpu.recipe("tiny", 3).with_overrides(input_size=24, label_smoothing=0.0)
    weights = build_model(cfg.arch, cfg.input_size, cfg.dropout).get_weights()
    names = gpu.save_shards(weights, tmp_path, "student-average", 1)
    entry = {"weights": names, "recipe": asdict(cfg), "epochs": 3, "history": [{"epoch": 3}],
             "average_publictest": {"accuracy_tta": 0.5}}
    (tmp_path / "teachers.json").write_text(json.dumps({"seeds": [], "student": entry}))
    assert gpu.main(["adopt-student", str(tmp_path), "--out", str(tmp_path / "run")]) == 0
    state = read_state(tmp_path / "run")
    assert TrainConfig.from_dict(state["config"]) == cfg and state["epochs_done"] == 3
    assert state["scores"] == {"average_publictest": {"accuracy_tta": 0.5}}
    _start_from(build_model(cfg.arch, cfg.input_size, cfg.dropout), str(tmp_path / "run" / "last.weights.npz"))
