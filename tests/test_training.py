"""Training and evaluation: both FER2013 layouts load through the inference preprocessing, the loop
checkpoints and a resumed run continues from its checkpoint, the metrics mean what they say, and
`emotune train` / `emotune eval` work end to end on a tiny CSV."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from emotune.core.emotions import EMOTIONS
from emotune.inference.preprocessing import prepare_face
from emotune.training.augment import AugmentConfig, augment_batch
from emotune.training.config import TrainConfig, preset
from emotune.training.data import DatasetError, FerData, Split, load_fer
from emotune.training.evaluation import (apply_temperature, confusion_matrix, evaluate,
                                         expected_calibration_error, fit_temperature)

USAGES = ("Training", "PublicTest", "PrivateTest")


def _face(label: int, i: int, side: int = 48) -> np.ndarray:
    """A learnable synthetic 'face': a class-specific bright band on noise."""
    rng = np.random.default_rng(label * 1000 + i)
    img = rng.integers(0, 80, (side, side)).astype(np.uint8)
    img[label * side // 7:(label + 1) * side // 7] = 230
    return img


def write_csv(path: Path, per_class: dict[str, int]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["emotion", "pixels", "Usage"])
        for usage, n in per_class.items():
            for label in range(7):
                for i in range(n):
                    w.writerow([label, " ".join(map(str, _face(label, i + 100 * USAGES.index(usage)).ravel())), usage])
    return path


@pytest.fixture
def tiny_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "fer2013.csv", {"Training": 12, "PublicTest": 3, "PrivateTest": 3})


def test_csv_layout_loads_all_splits_and_caches(tiny_csv, tmp_path):
    cache = tmp_path / "cache"
    data = load_fer(tiny_csv, cache_dir=cache)
    assert (len(data.train), len(data.val), len(data.test)) == (84, 21, 21)
    assert data.train.x.shape == (84, 48, 48, 1) and data.train.x.dtype == np.uint8
    assert list(data.train.class_counts()) == [12] * 7
    assert len(list(cache.glob("*.npz"))) == 1
    again = load_fer(tiny_csv, cache_dir=cache)
    assert again.sha256 == data.sha256 and np.array_equal(again.test.x, data.test.x)


def test_csv_with_wrong_columns_is_refused(tmp_path):
    bad = tmp_path / "fer2013.csv"
    bad.write_text("label,pixels\n0,1 2 3 4\n")
    with pytest.raises(DatasetError, match="Usage"):
        load_fer(bad, cache_dir=None)


def test_folder_layout_splits_by_file_prefix_through_inference_preprocessing(tmp_path):
    root = tmp_path / "fer"
    color = np.zeros((60, 60, 3), np.uint8)
    color[:, :, 0] = 200  # blue in BGR: gray must be ~23, not ~60 (RGB read) — catches a channel swap
    for e in ("happy", "sad"):
        for part, names in (("train", ["Training_1.png", "Training_2.png"]),
                            ("test", ["PublicTest_1.png", "PrivateTest_1.png", "PrivateTest_2.png"])):
            (root / part / e).mkdir(parents=True)
            for name in names:
                cv2.imwrite(str(root / part / e / name), color)
    data = load_fer(root, cache_dir=None)
    assert (len(data.train), len(data.val), len(data.test)) == (4, 2, 4)
    assert set(data.test.y) == {EMOTIONS.index("happy"), EMOTIONS.index("sad")}
    expected = prepare_face(cv2.imread(str(root / "train" / "happy" / "Training_1.png")))
    assert np.array_equal(data.train.x[0], expected)
    assert expected.shape == (48, 48, 1) and abs(int(expected.mean()) - round(0.114 * 200)) <= 1


def test_not_fer_folder_says_what_is_expected(tmp_path):
    with pytest.raises(DatasetError, match="train/<emotion>"):
        load_fer(tmp_path, cache_dir=None)


def test_augmentation_keeps_shape_range_and_varies():
    x = np.stack([_face(i % 7, i)[:, :, None] for i in range(16)])
    a = augment_batch(x, np.random.default_rng(0), AugmentConfig())
    b = augment_batch(x, np.random.default_rng(0), AugmentConfig())
    assert a.shape == x.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)  # seeded: a resumed epoch sees the same data
    assert not np.array_equal(a, x)


def test_augmentation_does_not_depend_on_the_thread_count(monkeypatch):
    import emotune.training.augment as augment

    x = np.stack([_face(i % 7, i)[:, :, None] for i in range(1100)])
    cfg = AugmentConfig(blur_p=0.5)
    monkeypatch.setattr(augment, "_workers", lambda: 4)
    threaded = augment_batch(x, np.random.default_rng(3), cfg)
    monkeypatch.setattr(augment, "_workers", lambda: 1)
    assert np.array_equal(threaded, augment_batch(x, np.random.default_rng(3), cfg))


def test_metrics_mean_what_they_say():
    y = np.array([0, 1, 2, 2])
    assert confusion_matrix(y, np.array([0, 2, 2, 1]))[2].tolist() == [0, 1, 1, 0, 0, 0, 0]
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (4000, 7))
    true_p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(7, p=p) for p in true_p])
    assert expected_calibration_error(true_p, labels) < 0.03
    overconfident = apply_temperature(true_p, 0.5)  # logits doubled
    assert expected_calibration_error(overconfident, labels) > 0.08
    assert fit_temperature(overconfident, labels) == pytest.approx(2.0, rel=0.15)
    ev = evaluate(lambda x: apply_temperature(true_p, 0.5), np.zeros((4000, 2, 2, 1)), labels,
                  np.zeros((4000, 2, 2, 1)), labels)
    assert ev.ece_after < ev.ece_before and ev.temperature == pytest.approx(2.0, rel=0.15)


def _synthetic_data(n_per_class: int = 10, side: int = 24) -> FerData:
    def split(n, offset):
        x = np.stack([_face(c, i + offset, side)[:, :, None] for c in range(7) for i in range(n)])
        return Split(x, np.repeat(np.arange(7), n))
    return FerData(split(n_per_class, 0), split(2, 500), split(2, 900), source="synthetic", sha256="abc")


class _Interrupt(Exception):
    pass


def _interrupted_after_one_epoch(data: FerData, cfg: TrainConfig, run_dir: Path) -> None:
    """Trains `cfg` and stops it (as a closed session would) right after its first epoch's checkpoint."""
    from emotune.training.trainer import train

    def stop_after_first(row):
        raise _Interrupt

    with pytest.raises(_Interrupt):
        train(data, cfg, run_dir, verbose=0, on_epoch=stop_after_first)


def test_resumed_run_continues_from_its_checkpoint(tmp_path):
    from emotune.training.trainer import read_state, train

    data = _synthetic_data()
    cfg = TrainConfig(arch="tiny", input_size=24, epochs=2, batch_size=16, warmup_epochs=0.0, seed=7)
    _interrupted_after_one_epoch(data, cfg, tmp_path / "run")
    first = read_state(tmp_path / "run")
    assert first["epochs_done"] == 1 and (tmp_path / "run" / "checkpoint.keras").is_file()
    resumed = train(data, TrainConfig(arch="compact", epochs=99), tmp_path / "run", resume=True, verbose=0)
    state = read_state(tmp_path / "run")
    assert resumed.epochs_done == 2 and state["epochs_done"] == 2
    assert state["history"][0] == first["history"][0]  # the first epoch is kept, not redone
    assert state["config"]["arch"] == "tiny"  # the stored recipe wins over the caller's

    import keras
    model = keras.models.load_model(tmp_path / "run" / "checkpoint.keras")
    steps = -(-len(data.train) // cfg.batch_size)
    assert int(model.optimizer.iterations) == 2 * steps  # optimiser state carried across the restart


def test_a_campaign_resumes_from_its_committed_weights_alone(tmp_path):
    """A session commits state.json and the weight files only (no optimiser blob); the next one rebuilds the
    model, moves the schedule on to the epochs done and continues the same run."""
    import shutil

    import keras

    from emotune.training.trainer import BEST_WEIGHTS, LAST_WEIGHTS, STATE, read_state, train

    data = _synthetic_data()
    cfg = TrainConfig(arch="tiny", input_size=24, epochs=3, batch_size=16, warmup_epochs=0.0, seed=7)
    _interrupted_after_one_epoch(data, cfg, tmp_path / "run")
    committed = tmp_path / "committed"
    committed.mkdir()
    for name in (STATE, LAST_WEIGHTS, BEST_WEIGHTS):
        shutil.copy(tmp_path / "run" / name, committed / name)
    saved = keras.models.load_model(tmp_path / "run" / "checkpoint.keras")

    seen = []
    train(data, cfg, committed, resume=True, verbose=0, on_epoch=lambda row: seen.append(row["epoch"]))
    state = read_state(committed)
    assert seen == [2, 3] and state["epochs_done"] == 3
    assert (committed / "best.keras").is_file()  # rebuilt from best.weights.npz for --export
    with np.load(committed / LAST_WEIGHTS) as stored:  # the model's weights alone, no optimiser slots
        weights = saved.get_weights()
        assert [stored[f"arr_{i}"].shape for i in range(len(stored.files))] == [w.shape for w in weights]
    model = keras.models.load_model(committed / "checkpoint.keras")
    steps = -(-len(data.train) // cfg.batch_size)
    assert int(model.optimizer.iterations) == 3 * steps  # the schedule continued, not restarted
    assert not np.allclose(model.get_weights()[0], saved.get_weights()[0])  # it trained on from epoch 1


def test_a_bfloat16_run_computes_in_bfloat16_and_resumes_so_from_its_committed_weights(tmp_path):
    """The wider teachers train in bfloat16 over float32 weights; a later session, holding only the committed
    weights and state, must continue in bfloat16, and the rest of the process keeps float32."""
    import shutil

    import keras

    from emotune.training.models import build_model
    from emotune.training.trainer import LAST_WEIGHTS, STATE, read_state, train

    data = _synthetic_data()
    cfg = TrainConfig(arch="tiny", input_size=24, epochs=2, batch_size=16, warmup_epochs=0.0, seed=7,
                      precision="bfloat16")
    _interrupted_after_one_epoch(data, cfg, tmp_path / "run")
    committed = tmp_path / "committed"
    committed.mkdir()
    for name in (STATE, LAST_WEIGHTS):
        shutil.copy(tmp_path / "run" / name, committed / name)
    train(data, TrainConfig(arch="tiny", input_size=24), committed, resume=True, verbose=0)
    assert read_state(committed)["epochs_done"] == 2
    model = keras.models.load_model(committed / "checkpoint.keras")
    assert model.layers[2].dtype_policy.name == "mixed_bfloat16" and model.output.dtype == "float32"
    with np.load(committed / LAST_WEIGHTS) as stored:
        assert {str(stored[f].dtype) for f in stored.files} == {"float32"}
    best = keras.models.load_model(tmp_path / "run" / "best.keras")   # what --export ships computes as the app does
    assert best.layers[2].dtype_policy.name == "float32"
    assert keras.config.dtype_policy().name == "float32"
    assert build_model("tiny", 24).layers[2].dtype_policy.name == "float32"
    with pytest.raises(ValueError, match="unknown precision 'half'"):
        build_model("tiny", 24, precision="half")


def test_a_bfloat16_run_goes_on_in_float32_on_a_machine_without_bfloat16_units(tmp_path):
    """bfloat16 is emulated, 7-10x slower, on CPUs without AMX: a run begun on one with it must be able to go on
    in float32 from its full checkpoint, keeping its schedule and recording where the arithmetic changed."""
    import keras

    from emotune.training.models import cpu_has_bfloat16, precision_of
    from emotune.training.trainer import read_state, train

    data = _synthetic_data()
    cfg = TrainConfig(arch="tiny", input_size=24, epochs=2, batch_size=16, warmup_epochs=0.0, seed=7,
                      precision="bfloat16")
    _interrupted_after_one_epoch(data, cfg, tmp_path / "run")
    train(data, cfg, tmp_path / "run", resume=True, precision="float32", verbose=0)
    state = read_state(tmp_path / "run")
    assert state["epochs_done"] == 2 and state["config"]["precision"] == "float32"
    assert state["precision_changes"] == [{"from_epoch": 2, "precision": "float32"}]
    model = keras.models.load_model(tmp_path / "run" / "checkpoint.keras")
    assert precision_of(model) == "float32"
    assert int(model.optimizer.iterations) == 2 * -(-len(data.train) // cfg.batch_size)
    assert cpu_has_bfloat16("flags\t\t: fpu avx2 avx512f amx_bf16 amx_tile\n")
    assert not cpu_has_bfloat16("flags\t\t: fpu fma avx2 vaes\nbugs\t\t: amx_bf16\n")
    assert cpu_has_bfloat16("Features\t: fp asimd sve bf16 i8mm\n")   # Arm: Graviton 3, Neoverse V1
    assert not cpu_has_bfloat16("Features\t: fp asimd evtstrm aes crc32\n")


def test_the_weight_average_is_scored_each_epoch_and_carried_across_a_resume(tmp_path):
    """With `ema_decay` the run keeps a moving average of the weights beside them, scores it on PublicTest every
    epoch, keeps it in ema.weights.npz, and a resume from the committed files continues that average."""
    import shutil

    from emotune.training.trainer import BEST_WEIGHTS, EMA_WEIGHTS, LAST_WEIGHTS, STATE, read_state, train

    def weights(path):
        with np.load(path) as f:
            return [f[f"arr_{i}"] for i in range(len(f.files))]

    data = _synthetic_data()
    cfg = TrainConfig(arch="tiny", input_size=24, epochs=2, batch_size=8, warmup_epochs=0.0, seed=7,
                      ema_decay=0.9)
    _interrupted_after_one_epoch(data, cfg, tmp_path / "run")
    first = read_state(tmp_path / "run")["history"][0]
    assert 0.0 <= first["ema_val_accuracy"] <= 1.0 and "val_accuracy" in first
    after_one = weights(tmp_path / "run" / EMA_WEIGHTS)
    assert any(not np.allclose(a, b) for a, b in zip(after_one, weights(tmp_path / "run" / LAST_WEIGHTS)))
    for name in ("kept", "lost"):   # the committed files, with and without the average
        shutil.copytree(tmp_path / "run", tmp_path / name, ignore=shutil.ignore_patterns("*.keras"))
    (tmp_path / "lost" / EMA_WEIGHTS).unlink()
    for name in ("kept", "lost"):
        train(data, cfg, tmp_path / name, resume=True, verbose=0)
        assert read_state(tmp_path / name)["epochs_done"] == 2
    kept, lost = weights(tmp_path / "kept" / EMA_WEIGHTS), weights(tmp_path / "lost" / EMA_WEIGHTS)
    assert any(not np.allclose(a, b) for a, b in zip(kept, after_one))     # it moved on in epoch 2 ...
    assert any(not np.allclose(a, b) for a, b in zip(kept, lost))          # ... from the saved average
    state = read_state(tmp_path / "kept")
    best = state["best"]
    assert best["weights"] in ("last", "ema") and (tmp_path / "kept" / BEST_WEIGHTS).is_file()
    row = state["history"][best["epoch"] - 1]
    assert state["best_val_accuracy"] == max(row["val_accuracy"], row["ema_val_accuracy"])
    assert (tmp_path / "kept" / STATE).is_file()


def test_cost_counts_the_multiply_adds_of_each_layer_kind():
    import keras

    from emotune.training.cost import macs_per_face

    inp = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inp)           # 64 px * 9 * 3 * 4 = 6912
    x = keras.layers.SeparableConv2D(5, 3, padding="same")(x)    # 64 * (9 * 4 + 4 * 5) = 3584
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(7)(x)                               # 5 * 7 = 35
    assert macs_per_face(keras.Model(inp, out)) == 6912 + 3584 + 35


def test_learning_curve_is_written_as_data_and_picture(tmp_path):
    from emotune.training.curve import plot, write_csv

    history = [{"epoch": e, "loss": 1.5 - e / 10, "accuracy": 0.3 + e / 20, "val_loss": 1.4,
                "val_accuracy": 0.35 + e / 25, "seconds": 60.0, "load_average": 1.0, "extra": 1} for e in (1, 2, 3)]
    write_csv(history, tmp_path / "curve.csv")
    rows = list(csv.DictReader(open(tmp_path / "curve.csv")))
    assert [float(r["val_accuracy"]) for r in rows] == pytest.approx([0.39, 0.43, 0.47]) and "extra" not in rows[0]
    plot(history, tmp_path / "curve.png", "test run", total_epochs=10, target=0.69)
    img = cv2.imread(str(tmp_path / "curve.png"))
    assert img is not None and img.shape == (480, 900, 3)
    assert (np.abs(img.astype(int) - (200, 110, 20)).sum(axis=2) < 30).sum() > 50  # the PublicTest line is drawn


def test_resume_without_checkpoint_says_so(tmp_path):
    from emotune.training.trainer import ResumeError, train

    with pytest.raises(ResumeError, match="nothing to resume"):
        train(_synthetic_data(), preset("smoke"), tmp_path / "empty", resume=True, verbose=0)


def test_train_and_eval_commands_end_to_end(tiny_csv, tmp_path, capsys, monkeypatch):
    from emotune.cli.main import main

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "models" / "m.keras"
    assert main(["train", "--data", str(tiny_csv), "--preset", "smoke", "--epochs", "1", "--quiet",
                 "--class-weight-power", "0", "--augment", "domain", "--export", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["training"]["config"]["class_weight_power"] == 0.0   # a flag overrides the preset's recipe
    assert card["training"]["config"]["augment"]["jpeg_p"] == 0.25    # --augment domain: the real-photo domain
    assert card["classes"] == list(EMOTIONS) and card["input_size"] == 48 and card["params"] > 0
    assert {"accuracy", "accuracy_tta", "per_class_recall_tta", "ece_before_temperature"} <= set(card["test"])
    assert card["training"]["command"].startswith("emotune train") and card["data"]["sha256"]
    assert (tmp_path / "runs" / "smoke" / "checkpoint.keras").is_file()
    capsys.readouterr()
    assert main(["eval", "--data", str(tiny_csv), "--model", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["faces"] == 21 and len(report["confusion_matrix_tta"]) == 7
    assert main(["eval", "--data", str(tmp_path / "nothing"), "--model", str(out)]) == 2


def test_train_resume_reads_the_data_at_the_stored_runs_input_size(tiny_csv, tmp_path, capsys, monkeypatch):
    """`--resume --run-dir` continues the run stored there even without its --preset: the default preset's 48 px
    data must not be fed to the campaign's 40 px run."""
    from emotune.cli.main import main

    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tiny_csv), "--preset", "campaign", "--arch", "tiny", "--epochs", "1",
                 "--batch-size", "16", "--quiet", "--run-dir", str(run)]) == 0
    state = json.loads((run / "state.json").read_text())
    assert state["config"]["input_size"] == 40
    state["config"]["epochs"] = 2     # one more epoch for the resume to run
    (run / "state.json").write_text(json.dumps(state))
    capsys.readouterr()
    assert main(["train", "--data", str(tiny_csv), "--run-dir", str(run), "--resume", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("resuming tiny at epoch 2 of 2 on 84 faces")
    assert json.loads((run / "state.json").read_text())["epochs_done"] == 2


def test_train_warns_when_bfloat16_would_be_emulated_and_resumes_in_float32(tiny_csv, tmp_path, capsys, monkeypatch):
    """Asked for bfloat16 where it is emulated, `emotune train` says so and how to avoid it; `--resume --precision
    float32` then goes on in float32 and says it."""
    from emotune.cli.main import main
    from emotune.training import models

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(models, "bfloat16_is_native", lambda: False)   # the machine, not the code, decides this
    run = tmp_path / "run"
    assert main(["train", "--data", str(tiny_csv), "--preset", "smoke", "--epochs", "1", "--quiet",
                 "--precision", "bfloat16", "--run-dir", str(run)]) == 0
    assert "no bfloat16 units" in capsys.readouterr().err
    state = json.loads((run / "state.json").read_text())
    state["config"]["epochs"] = 2
    (run / "state.json").write_text(json.dumps(state))
    assert main(["train", "--data", str(tiny_csv), "--run-dir", str(run), "--resume", "--quiet",
                 "--precision", "float32"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("resuming tiny at epoch 2 of 2 in float32 (it ran in bfloat16 so far)")
    assert "bfloat16 units" not in out.err
    assert json.loads((run / "state.json").read_text())["config"]["precision"] == "float32"
