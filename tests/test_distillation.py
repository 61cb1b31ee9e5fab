"""Issue 22's CPU distillation: the trainer's soft targets (a · teacher + (1 − a) · one-hot, the mirror's row
when the augmentation flips a face, a teacher file of other data refused), the fine-tune's starting weights and
the domain augmentation (sharpen, low-resolution detour, JPEG, contrast stretch); the committed FER+ soft
targets (vote shares, accepted by the same checks)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from emotune.training.augment import AugmentConfig, augment_batch, augment_batch_with_flips
from emotune.training.config import TrainConfig, preset
from emotune.training.data import FerData, Split
from emotune.training.soft_targets import SoftTargetError, SoftTargets, load_soft_targets

# Only the mirror: every output face is exactly its input or its mirror image.
FLIP_ONLY = AugmentConfig(scale=0.0, shift=0.0, rotate=0.0, brightness=0.0, contrast=0.0, gamma=0.0, blur_p=0.0,
                          noise_p=0.0, erase_p=0.0)


def _faces(n: int, side: int = 24) -> np.ndarray:
    """Noise faces with a class band: no two alike, none equal to its mirror."""
    out = []
    for i in range(n):
        rng = np.random.default_rng(i)
        img = rng.integers(0, 120, (side, side)).astype(np.uint8)
        img[(i % 7) * side // 7:((i % 7) + 1) * side // 7, : side // 2] = 230
        out.append(img[:, :, None])
    return np.stack(out)


def _data(per_class: int = 4) -> FerData:
    x = _faces(7 * per_class)
    y = np.arange(len(x)) % 7
    val = Split(_faces(14)[::-1].copy(), np.arange(14) % 7)
    return FerData(Split(x, y), val, val, source="synthetic", sha256="abc")


def _teacher(tmp_path: Path, labels: np.ndarray, data_sha256: str = "abc") -> Path:
    """A teacher whose picture row puts all mass on label+1 and whose mirror row on label+2."""
    rows = np.zeros((len(labels), 2, 7), np.float16)
    rows[np.arange(len(labels)), 0, (labels + 1) % 7] = 1.0
    rows[np.arange(len(labels)), 1, (labels + 2) % 7] = 1.0
    npz = tmp_path / "teacher_soft.npz"
    np.savez(npz, probs=rows, y=labels)
    npz.with_suffix(".json").write_text(json.dumps({"data_sha256": data_sha256}))
    return npz


def test_the_augmentation_reports_which_faces_it_mirrored():
    x = _faces(40)
    out, flips = augment_batch_with_flips(x, np.random.default_rng(5), FLIP_ONLY)
    assert 0 < flips.sum() < len(x)
    assert np.array_equal(out[flips], x[flips][:, :, ::-1]) and np.array_equal(out[~flips], x[~flips])
    assert np.array_equal(augment_batch(x, np.random.default_rng(5), FLIP_ONLY), out)


def test_a_target_mixes_teacher_and_label_and_takes_the_mirror_row_on_a_flip():
    labels = np.array([0, 3])
    rows = np.zeros((2, 2, 7), np.float32)
    rows[:, 0, 6] = 1.0   # the picture: neutral
    rows[:, 1, 5] = 1.0   # its mirror: surprise
    soft = SoftTargets(rows, 0.6)
    got = soft.targets(labels, np.array([1, 0, 1]), np.array([False, True, True]))
    expected = np.zeros((3, 7), np.float32)
    expected[0, [3, 6]] = 0.4, 0.6
    expected[1, [0, 5]] = 0.4, 0.6
    expected[2, [3, 5]] = 0.4, 0.6
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_the_loss_is_fed_the_teachers_rows_and_the_mirrors_row_for_a_flipped_face(tmp_path, fed_to_fit):
    from emotune.training.trainer import train

    data = _data()
    npz = _teacher(tmp_path, data.train.y)
    cfg = TrainConfig(arch="tiny", input_size=24, epochs=1, batch_size=8, warmup_epochs=0.0, augment=FLIP_ONLY,
                      oversample_disgust=1, soft_targets=str(npz), soft_weight=0.6, seed=3)
    train(data, cfg, tmp_path / "run", verbose=0)
    (xb, yb), = fed_to_fit
    plain, mirrored = data.train.x.astype(np.float32), data.train.x[:, :, ::-1].astype(np.float32)
    seen = {True: 0, False: 0}
    for face, target in zip(xb, yb):
        hits = [(i, False) for i in range(len(plain)) if np.array_equal(face, plain[i])]
        hits += [(i, True) for i in range(len(plain)) if np.array_equal(face, mirrored[i])]
        (i, flipped), = hits
        label = int(data.train.y[i])
        expected = np.zeros(7, np.float32)
        expected[label] += 0.4
        expected[(label + (2 if flipped else 1)) % 7] += 0.6
        np.testing.assert_allclose(target, expected, atol=1e-3)
        seen[flipped] += 1
    assert seen[True] > 0 and seen[False] > 0 and sum(seen.values()) == len(data.train)


def test_a_teacher_file_of_other_data_is_refused_with_a_clear_message(tmp_path):
    from emotune.training.trainer import train

    data = _data()
    npz = _teacher(tmp_path, data.train.y, data_sha256="0123456789abcdef")
    cfg = TrainConfig(arch="tiny", input_size=24, epochs=1, batch_size=8, soft_targets=str(npz))
    with pytest.raises(SoftTargetError, match="computed on other FER2013 data"):
        train(data, cfg, tmp_path / "run", verbose=0)
    assert not (tmp_path / "run" / "state.json").exists()


def test_a_teacher_file_of_another_size_or_order_or_without_its_card_is_refused(tmp_path):
    labels = np.arange(28) % 7
    npz = _teacher(tmp_path, labels)
    with pytest.raises(SoftTargetError, match=r"this data needs \(21, 2, 7\)"):
        load_soft_targets(npz, 0.7, "abc", labels[:21])
    with pytest.raises(SoftTargetError, match="other labels"):
        load_soft_targets(npz, 0.7, "abc", labels[::-1].copy())
    with pytest.raises(SoftTargetError, match="between 0 and 1"):
        load_soft_targets(npz, 1.5, "abc", labels)
    npz.with_suffix(".json").unlink()
    with pytest.raises(SoftTargetError, match="teacher_soft.json beside it"):
        load_soft_targets(npz, 0.7, "abc", labels)


def test_the_command_line_refuses_a_teacher_of_other_data(tmp_path, capsys, monkeypatch):
    from tests.test_training import write_csv

    from emotune.cli.main import main

    monkeypatch.chdir(tmp_path)
    csv_path = write_csv(tmp_path / "fer2013.csv", {"Training": 2, "PublicTest": 1, "PrivateTest": 1})
    npz = _teacher(tmp_path, np.arange(14) % 7, data_sha256="0" * 64)
    assert main(["train", "--data", str(csv_path), "--preset", "smoke", "--epochs", "1", "--quiet",
                 "--soft-targets", str(npz)]) == 2
    assert "was computed on other FER2013 data" in capsys.readouterr().err


def test_a_fine_tune_starts_from_the_given_models_weights(tmp_path):
    import keras

    from emotune.training.models import build_model
    from emotune.training.trainer import _start_from

    start = build_model("tiny", 24, 0.2)
    start.save(tmp_path / "start.keras")
    fresh = build_model("tiny", 24, 0.2)
    assert not np.allclose(fresh.get_weights()[0], start.get_weights()[0])
    _start_from(fresh, str(tmp_path / "start.keras"))
    assert all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), start.get_weights()))
    with pytest.raises(ValueError, match="another architecture or input size"):
        _start_from(build_model("tiny", 32, 0.2), str(tmp_path / "start.keras"))
    with pytest.raises(ValueError, match="does not exist"):
        _start_from(fresh, str(tmp_path / "missing.keras"))
    keras.backend.clear_session()


def test_a_second_cycle_starts_from_a_runs_weight_file(tmp_path):
    """`--init-weights models/teacher2/last.weights.npz`: a finished run's weights start a new cosine cycle."""
    import keras

    from emotune.training.models import build_model
    from emotune.training.trainer import _save_atomic, _start_from

    start = build_model("tiny", 24, 0.2)
    _save_atomic(start, tmp_path / "last.weights.npz")
    fresh = build_model("tiny", 24, 0.2)
    _start_from(fresh, str(tmp_path / "last.weights.npz"))
    assert all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), start.get_weights()))
    with pytest.raises(ValueError, match="another architecture or input size"):
        _start_from(build_model("small", 24, 0.2), str(tmp_path / "last.weights.npz"))
    (tmp_path / "state.json").write_text(json.dumps({"config": {"input_size": 24}}))
    _start_from(build_model("tiny", 24, 0.2), str(tmp_path / "last.weights.npz"))
    with pytest.raises(ValueError, match="another architecture or input size"):   # same shapes, another size
        _start_from(build_model("tiny", 32, 0.2), str(tmp_path / "last.weights.npz"))
    keras.backend.clear_session()


def test_the_cards_command_repeats_every_recipe_flag_given():
    import argparse

    from emotune.cli.train import _command_line

    args = argparse.Namespace(data=Path("fer"), preset="campaign", arch=None, epochs=24, batch_size=None,
                              learning_rate=0.02, optimizer=None, mixup_alpha=None, label_smoothing=None,
                              class_weight_power=0.0, warmup_epochs=0.0, augment="domain", max_train=None, seed=8,
                              soft_targets=None, soft_weight=None, teacher_models=None,
                              init_weights="models/teacher2/last.weights.npz",
                              precision="bfloat16", run_dir=Path("models/teacher2-cycle2"), export=Path("out.keras"))
    assert _command_line(args) == (
        "emotune train --data fer --preset campaign --epochs 24 --lr 0.02 --class-weight-power 0.0 --warmup 0.0 "
        "--augment domain --seed 8 --init-weights models/teacher2/last.weights.npz --precision bfloat16 "
        "--run-dir models/teacher2-cycle2 --export out.keras")


def test_none_switches_off_the_presets_teacher_and_start_model_on_the_command_line():
    from emotune.cli.main import build_parser
    from emotune.cli.train import recipe

    def parsed(*flags: str):
        return recipe(build_parser().parse_args(["train", "--data", "fer", "--preset", "distill", *flags]))

    kept = parsed()
    assert kept.init_weights.endswith("emotion_cnn.keras") and kept.soft_targets.endswith("teacher_soft.npz")
    scratch = parsed("--init-weights", "none", "--soft-targets", "models/distill/ens-teacher3/teacher_soft.npz")
    assert scratch.init_weights == "" and scratch.soft_targets == "models/distill/ens-teacher3/teacher_soft.npz"
    assert parsed("--soft-targets", "none").soft_targets == ""


def _sharpness(x: np.ndarray) -> float:
    return float(np.mean([cv2.Laplacian(f[:, :, 0].astype(np.float32), cv2.CV_32F).var() for f in x]))


def test_the_domain_augmentation_sharpens_softens_and_recompresses_as_configured():
    x = np.stack([cv2.GaussianBlur(f, (0, 0), 1.0)[:, :, None] for f in _faces(32, 40)])
    still = replace(FLIP_ONLY, flip=False)
    sharp = augment_batch(x, np.random.default_rng(1), replace(still, sharpen_p=1.0))
    low = augment_batch(x, np.random.default_rng(1), replace(still, lowres_p=1.0))
    jpeg = augment_batch(x, np.random.default_rng(1), replace(still, jpeg_p=1.0))
    stretched = augment_batch(x, np.random.default_rng(1), replace(still, stretch_p=1.0))
    assert x.std() * 1.1 < stretched.std() and _sharpness(sharp) > 1.2 * _sharpness(x)
    assert _sharpness(low) < 0.8 * _sharpness(x)
    assert not np.array_equal(jpeg, x) and np.abs(jpeg.astype(int) - x).mean() < 10


def test_the_domain_augmentation_does_not_depend_on_the_thread_count(monkeypatch):
    import emotune.training.augment as augment

    x = _faces(1100)
    cfg = AugmentConfig(sharpen_p=0.3, lowres_p=0.3, jpeg_p=0.3, stretch_p=0.3)
    monkeypatch.setattr(augment, "_workers", lambda: 4)
    threaded = augment_batch(x, np.random.default_rng(3), cfg)
    monkeypatch.setattr(augment, "_workers", lambda: 1)
    assert np.array_equal(threaded, augment_batch(x, np.random.default_rng(3), cfg))


def test_the_distill_preset_fine_tunes_the_shipped_model_on_its_committed_soft_targets():
    cfg = preset("distill")
    assert Path(cfg.soft_targets).name == "teacher_soft.npz" and Path(cfg.init_weights).name == "emotion_cnn.keras"
    assert (cfg.arch, cfg.input_size) == ("resnet18_w16", 40) and 0.5 <= cfg.soft_weight <= 0.7
    assert min(cfg.augment.sharpen_p, cfg.augment.lowres_p, cfg.augment.jpeg_p, cfg.augment.stretch_p) > 0


def test_a_distillation_run_resumes_from_its_committed_files_with_its_teacher(tmp_path):
    import shutil

    from emotune.training.trainer import read_state, train
    from tests.test_training import _interrupted_after_one_epoch

    data = _data()
    npz = _teacher(tmp_path, data.train.y)
    cfg = TrainConfig(arch="tiny", input_size=24, epochs=2, batch_size=8, warmup_epochs=0.0, augment=FLIP_ONLY,
                      soft_targets=str(npz), soft_weight=0.6, seed=3)
    _interrupted_after_one_epoch(data, cfg, tmp_path / "run")
    shutil.copytree(tmp_path / "run", tmp_path / "committed", ignore=shutil.ignore_patterns("*.keras"))
    train(data, TrainConfig(arch="tiny", input_size=24), tmp_path / "committed", resume=True, verbose=0)
    state = read_state(tmp_path / "committed")
    assert state["epochs_done"] == 2 and state["config"]["soft_targets"] == str(npz)
    assert state["config"]["soft_weight"] == 0.6
    npz.with_suffix(".json").write_text(json.dumps({"data_sha256": "another"}))
    with pytest.raises(SoftTargetError, match="other FER2013 data"):   # a replaced teacher file is caught too
        train(data, cfg, tmp_path / "committed", resume=True, verbose=0)


FERPLUS = Path(__file__).resolve().parents[1] / "models" / "distill" / "ferplus_soft.npz"
TEACHER = FERPLUS.with_name("teacher_soft.npz")
# Training faces (load_fer order) with their fer2013new.csv row and its votes: neutral, happiness, surprise,
# sadness, anger, disgust, fear, contempt, unknown, NF (read from github:microsoft/FERPlus at ae2128a).
KNOWN_FERPLUS_ROWS = {
    0: (11756, (2, 0, 0, 1, 7, 0, 0, 0, 0, 0)),
    11: (6642, (1, 0, 1, 0, 3, 0, 2, 0, 3, 0)),
    5000: (18661, (6, 0, 0, 0, 4, 0, 0, 0, 0, 0)),
    28708: (11466, (1, 0, 8, 0, 0, 0, 1, 0, 0, 0)),
}


def test_ferplus_votes_become_shares_of_our_emotions_without_contempt_unknown_or_not_a_face():
    from emotune.training.ferplus import vote_shares

    votes = np.array([[2, 0, 0, 1, 7, 0, 0, 0, 0, 0],    # anger 7, neutral 2, sadness 1
                      [1, 0, 1, 0, 3, 0, 2, 0, 3, 0],    # 3 unknown votes dropped: 7 left
                      [0, 0, 0, 0, 0, 0, 0, 5, 3, 2]])   # only contempt / unknown / not a face: the label stays
    rows, has_vote = vote_shares(votes, np.array([0, 0, 1]))
    np.testing.assert_allclose(rows[0], [0.7, 0, 0, 0, 0.1, 0, 0.2])
    np.testing.assert_allclose(rows[1], np.array([3, 0, 2, 0, 0, 1, 1]) / 7)
    np.testing.assert_array_equal(rows[2], np.eye(7)[1])
    assert has_vote.tolist() == [True, True, False]


def test_the_ferplus_file_is_accepted_by_the_trainers_checks_like_the_teachers():
    meta = json.loads(TEACHER.with_suffix(".json").read_text())
    with np.load(TEACHER) as z:
        labels = z["y"].astype(np.int64)
    soft = load_soft_targets(FERPLUS, 0.6, meta["data_sha256"], labels)
    assert soft.rows.shape == (len(labels), 2, 7) and soft.weight == 0.6
    np.testing.assert_allclose(soft.rows.sum(2), 1.0, atol=2e-3)
    np.testing.assert_array_equal(soft.rows[:, 0], soft.rows[:, 1])   # the mirror got the same votes
    card = json.loads(FERPLUS.with_suffix(".json").read_text())
    assert card["match"]["matched"] > 0.99 * len(labels) and card["match"]["median_rmse"] < 3
    assert {s["commit"][:7] for s in card["sources"]} == {"ae2128a", "95c0755"}


def test_known_ferplus_rows_are_their_vote_shares_and_faces_without_a_match_keep_their_label():
    from emotune.training.ferplus import vote_shares

    with np.load(FERPLUS) as z:
        probs, rows, labels = z["probs"].astype(np.float32), z["ferplus_row"], z["y"].astype(np.int64)
    for face, (row, votes) in KNOWN_FERPLUS_ROWS.items():
        assert rows[face] == row
        expected, _ = vote_shares(np.array([votes]), labels[face:face + 1])
        np.testing.assert_allclose(probs[face, 0], expected[0], atol=1e-3)
        assert abs(probs[face, 0].sum() - 1.0) < 2e-3
    unmatched = rows < 0
    assert 0 < unmatched.sum() < 0.01 * len(rows)
    np.testing.assert_array_equal(probs[unmatched, 0], np.eye(7, dtype=np.float32)[labels[unmatched]])
