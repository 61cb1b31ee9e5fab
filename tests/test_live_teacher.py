"""Consistent teaching (issue 22): ONNX teachers read every augmented (and mixed) picture the student is fed, and
the target is `a · teacher + (1 − a) · label`; a teacher that cannot serve the run is refused with a message."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from emotune.inference.onnx_classifier import OnnxEmotionClassifier
from emotune.training.config import TrainConfig
from emotune.training.data import FerData, Split
from emotune.training.live_teacher import TeacherError, load_live_teacher

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "emotion_cnn.onnx"   # reads 40-pixel faces


def _data(per_class: int = 3, side: int = 40) -> FerData:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (7 * per_class, side, side, 1)).astype(np.uint8)
    y = np.arange(len(x)) % 7
    val = Split(x[:7].copy(), y[:7].copy())
    return FerData(Split(x, y), val, val, source="synthetic", sha256="abc")


def _shipped_reading(pictures: np.ndarray) -> np.ndarray:
    model = OnnxEmotionClassifier(SHIPPED, card_path=False, tta=False)
    return model.predict_prepared(pictures, calibrated=False)


def _train(tmp_path: Path, **overrides) -> None:
    from emotune.training.trainer import train

    cfg = TrainConfig(arch="tiny", input_size=40, epochs=1, batch_size=8, warmup_epochs=0.0, oversample_disgust=1,
                      class_weight_power=0.0, label_smoothing=0.0, teacher_models=(str(SHIPPED),),
                      soft_weight=0.6, seed=3).with_overrides(**overrides)
    train(_data(), cfg, tmp_path / "run", verbose=0)


def test_the_teacher_reads_the_augmented_pictures_the_student_is_fed(tmp_path, fed_to_fit):
    _train(tmp_path)
    (xb, yb), = fed_to_fit
    data = _data()
    assert not any(np.array_equal(face, clean) for face in xb for clean in data.train.x.astype(np.float32))
    teacher = _shipped_reading(xb)
    label_part = yb - 0.6 * teacher
    np.testing.assert_allclose(label_part.max(axis=1), 0.4, atol=1e-4)   # 0.4 of a one-hot label is left
    np.testing.assert_allclose(np.sort(label_part, axis=1)[:, :-1], 0.0, atol=1e-4)
    assert np.array_equal(np.bincount(label_part.argmax(axis=1), minlength=7), np.bincount(data.train.y))
    stored_view = _shipped_reading(data.train.x)   # what a row stored for the clean picture would have said
    assert not np.allclose(np.sort(teacher.max(axis=1)), np.sort(stored_view.max(axis=1)), atol=1e-3)


def test_with_mixup_the_teacher_reads_the_mixed_pictures(tmp_path, fed_to_fit):
    _train(tmp_path, mixup_alpha=0.4)
    (xb, yb), = fed_to_fit
    label_part = yb - 0.6 * _shipped_reading(xb)
    np.testing.assert_allclose(label_part.sum(axis=1), 0.4, atol=1e-4)
    assert (label_part > -1e-4).all() and (np.sort(label_part, axis=1)[:, -2] > 1e-3).any()   # two labels mixed


def test_stored_soft_targets_and_live_teachers_together_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        _train(tmp_path, soft_targets=str(tmp_path / "teacher_soft.npz"))


def test_a_missing_corrupt_or_differently_sized_teacher_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(TeacherError, match="not an ONNX model file here"):
        load_live_teacher([str(tmp_path / "gone.onnx")], 0.6, 40)
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not a model")
    with pytest.raises(TeacherError, match="corrupt or not an emotion model"):
        load_live_teacher([str(corrupt)], 0.6, 40)
    with pytest.raises(TeacherError, match="reads 40-pixel faces and this run trains on 48-pixel ones"):
        load_live_teacher([str(SHIPPED)], 0.6, 48)
    with pytest.raises(TeacherError, match="between 0 and 1"):
        load_live_teacher([str(SHIPPED)], 1.5, 40)


def test_the_command_line_takes_several_teachers_and_the_card_repeats_them():
    from emotune.cli.main import build_parser
    from emotune.cli.train import _command_line, recipe

    args = build_parser().parse_args(["train", "--data", "fer", "--preset", "distill", "--soft-targets", "none",
                                      "--teacher-model", "a.onnx", "--teacher-model", "b.onnx"])
    cfg = recipe(args)
    assert cfg.teacher_models == ("a.onnx", "b.onnx") and cfg.soft_targets == ""
    assert "--soft-targets none --teacher-model a.onnx --teacher-model b.onnx" in _command_line(
        argparse.Namespace(**{**vars(args), "export": Path("out.keras")}))
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg   # a resumed run's stored config is the same run


def test_a_run_resumes_with_its_teachers_and_refuses_a_teacher_file_replaced_since(tmp_path):
    import shutil

    from emotune.training.trainer import read_state, train
    from tests.test_training import _Interrupt, _interrupted_after_one_epoch

    def stop(row):
        raise _Interrupt

    teacher = tmp_path / "teacher.onnx"
    shutil.copy(SHIPPED, teacher)
    cfg = TrainConfig(arch="tiny", input_size=40, epochs=3, batch_size=8, warmup_epochs=0.0,
                      teacher_models=(str(teacher),), soft_weight=0.6, seed=3)
    _interrupted_after_one_epoch(_data(), cfg, tmp_path / "run")
    recorded = read_state(tmp_path / "run")["teacher_sha256"]
    assert list(recorded) == [str(teacher)] and len(recorded[str(teacher)]) == 64
    with pytest.raises(_Interrupt):   # resumed: the same file goes on teaching
        train(_data(), cfg, tmp_path / "run", resume=True, verbose=0, on_epoch=stop)
    assert read_state(tmp_path / "run")["epochs_done"] == 2
    import onnx

    other = onnx.load(str(SHIPPED))   # another file at the same path: the same network, saved with another note
    other.doc_string = "a retrained teacher"
    onnx.save(other, str(teacher))
    with pytest.raises(TeacherError, match="not the file this run began with"):
        train(_data(), cfg, tmp_path / "run", resume=True, verbose=0)


def test_a_teacher_exported_again_elsewhere_goes_on_teaching_once_the_run_records_it(tmp_path):
    """The same weights give other ONNX bytes on another CPU: the run refuses the file until it is recorded as a
    re-export of its teacher, and then goes on (the digest it began with stays its record)."""
    import shutil

    import onnx

    from emotune.inference.onnx_classifier import file_sha256
    from emotune.training.live_teacher import reexport_entry
    from emotune.training.trainer import _write_state, read_state, train
    from tests.test_training import _interrupted_after_one_epoch

    teacher = tmp_path / "teacher.onnx"
    shutil.copy(SHIPPED, teacher)
    cfg = TrainConfig(arch="tiny", input_size=40, epochs=2, batch_size=8, warmup_epochs=0.0,
                      teacher_models=(str(teacher),), soft_weight=0.6, seed=3)
    _interrupted_after_one_epoch(_data(), cfg, tmp_path / "run")
    began = read_state(tmp_path / "run")["teacher_sha256"][str(teacher)]
    again = onnx.load(str(SHIPPED))   # stands in for the other CPU's export: the same network, other bytes
    again.doc_string = "exported on another machine"
    onnx.save(again, str(teacher))
    with pytest.raises(TeacherError, match="--for-run"):
        train(_data(), cfg, tmp_path / "run", resume=True, verbose=0)

    state = read_state(tmp_path / "run")
    entry = reexport_entry(state, str(teacher), file_sha256(teacher), weights_digest="w1")
    assert entry == {"path": str(teacher), "sha256": file_sha256(teacher), "weights_sha256": "w1", "from_epoch": 2}
    state["teacher_reexports"] = [entry]
    _write_state(tmp_path / "run", state)
    assert reexport_entry(state, str(teacher), file_sha256(teacher), "w1") is None   # already accepted
    with pytest.raises(TeacherError, match="other weights"):
        reexport_entry(state, str(teacher), "another digest", "w2")
    with pytest.raises(TeacherError, match="not taught by"):
        reexport_entry(state, str(tmp_path / "other.onnx"), "d", "w1")

    train(_data(), cfg, tmp_path / "run", resume=True, verbose=0)
    state = read_state(tmp_path / "run")
    assert state["epochs_done"] == 2 and state["teacher_sha256"][str(teacher)] == began
