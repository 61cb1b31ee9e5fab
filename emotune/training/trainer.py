"""The training loop: one epoch at a time, fresh augmentation each epoch, a checkpoint (model + optimiser
state + `state.json`) after every epoch, and `resume` that continues from the last one, so a long run
survives an interruption. Backend-agnostic Keras 3 (fit on NumPy arrays).

Run folder layout: `checkpoint.keras` (latest, with optimiser), `best.keras` (best PublicTest accuracy),
`state.json` (config, epochs done, history, data hash), the learning curve (`curve.csv`, `curve.png`), and
the weights alone of both (`last.weights.npz`,
`best.weights.npz`: `get_weights()`, batch-norm statistics included; Keras' own `.weights.h5` of a compiled
model also carries the optimiser's slots), plus `ema.weights.npz` when the config keeps a moving average of
the weights (`WeightAverage`). A campaign that spans sessions commits only `state.json` and the weight files
(a few MB each, no optimiser blobs); `resume` rebuilds the model and its schedule from them when the full
checkpoint is gone (SGD momentum or Adam moments restart from zero, which the next few hundred steps absorb).
"""
from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from emotune.core.emotions import EMOTIONS, N_EMOTIONS
from emotune.training.augment import augment_batch_with_flips, mixup
from emotune.training.config import TrainConfig
from emotune.training.curve import plot, write_csv
from emotune.training.data import FerData
from emotune.training.live_teacher import LiveTeacher, load_live_teacher, teacher_fingerprints
from emotune.training.soft_targets import SoftTargets, load_soft_targets

log = logging.getLogger(__name__)

CHECKPOINT, BEST, STATE = "checkpoint.keras", "best.keras", "state.json"
LAST_WEIGHTS, BEST_WEIGHTS, EMA_WEIGHTS = "last.weights.npz", "best.weights.npz", "ema.weights.npz"
CURVE_CSV, CURVE_PNG = "curve.csv", "curve.png"


class ResumeError(RuntimeError):
    """There is no usable checkpoint to resume, or it belongs to other data; the message says which."""


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    best_path: Path
    best_val_accuracy: float
    epochs_done: int
    history: list[dict]


class WeightAverage:
    """An exponential moving average of a model's weights, batch-norm statistics included (as timm's
    ModelEmaV2 keeps its buffers), updated every `every` training steps with the decay that makes it the same
    average as a per-step one. Averaged weights sit in a wider, flatter part of the loss surface than the
    last step's, which is what weight averaging (EMA/SWA) buys; it costs a copy of the weights a few times
    a second and one more PublicTest pass an epoch."""

    def __init__(self, weights: list[np.ndarray], decay: float, every: int = 8) -> None:
        self.weights = [np.array(w, np.float32) for w in weights]
        self.every, self.decay = every, decay ** every
        self._steps = 0

    def due(self) -> bool:
        """Counts a training step; True on every `every`-th, when the weights are to be folded in."""
        self._steps += 1
        return self._steps % self.every == 0

    def fold(self, weights: list[np.ndarray]) -> None:
        for avg, w in zip(self.weights, weights):
            avg *= self.decay
            avg += (1.0 - self.decay) * w

    def callback(self):
        """The Keras callback that folds the weights in. It reads them through `Callback.model`, which under
        JAX first copies them back from the compiled step's state (mid-epoch the variables hold nothing
        there), so it touches the model only on the steps that fold."""
        import keras

        average = self

        class FoldIn(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if average.due():
                    average.fold(self.model.get_weights())

        return FoldIn()

    def save(self, path: Path) -> None:
        _save_weights(self.weights, path)

    @classmethod
    def resume(cls, path: Path, model, decay: float) -> "WeightAverage":
        """The average saved in `path`, or a new one starting from the model's weights."""
        return cls(_read_weights(path) if path.is_file() else model.get_weights(), decay)


def class_weights(counts: np.ndarray, power: float) -> np.ndarray:
    """(median / count) ** power per class: 0 turns weighting off, 1 fully balances the loss."""
    counts = np.maximum(counts.astype(np.float64), 1.0)
    return (np.median(counts) / counts) ** power


def epoch_indices(y: np.ndarray, cfg: TrainConfig, rng: np.random.Generator) -> np.ndarray:
    """The shuffled training order of one epoch, with disgust faces repeated `oversample_disgust` times."""
    idx = np.arange(len(y))
    rare = np.flatnonzero(y == EMOTIONS.index("disgust"))
    extra = [rare] * max(0, cfg.oversample_disgust - 1)
    return rng.permutation(np.concatenate([idx, *extra])) if extra else rng.permutation(idx)


def _steps_per_epoch(data: FerData, cfg: TrainConfig) -> int:
    n = len(data.train) if not cfg.max_train else min(cfg.max_train, len(data.train))
    n += int((data.train.y[:n] == EMOTIONS.index("disgust")).sum()) * max(0, cfg.oversample_disgust - 1)
    return max(1, math.ceil(n / cfg.batch_size))


def compile_model(model, cfg: TrainConfig, steps_per_epoch: int) -> None:
    """Optimiser with linear warm-up then cosine decay to 1% of the peak; smoothed cross-entropy."""
    import keras

    total = steps_per_epoch * cfg.epochs
    warmup = int(steps_per_epoch * cfg.warmup_epochs)
    if cfg.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=cfg.learning_rate * (0.1 if warmup else 1.0), decay_steps=max(1, total - warmup),
            alpha=0.01, warmup_target=cfg.learning_rate if warmup else None, warmup_steps=warmup)
    elif cfg.schedule == "constant":
        lr = cfg.learning_rate
    else:
        raise ValueError(f"unknown schedule {cfg.schedule!r}; use cosine or constant")
    if cfg.optimizer == "adamw":
        opt = keras.optimizers.AdamW(learning_rate=lr, weight_decay=cfg.weight_decay)
    elif cfg.optimizer == "sgd":
        opt = keras.optimizers.SGD(learning_rate=lr, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay)
    else:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}; use adamw or sgd")
    model.compile(optimizer=opt,
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])


def _save_weights(weights: list[np.ndarray], path: Path) -> None:
    """The arrays of `get_weights()` as an .npz, replaced atomically (an interrupted write leaves the old file)."""
    tmp = path.with_name(path.stem + ".tmp.npz")
    with open(tmp, "wb") as f:
        np.savez(f, *weights)
    os.replace(tmp, path)


def _save_atomic(model, path: Path) -> None:
    if path.suffix == ".npz":
        _save_weights(model.get_weights(), path)
        return
    tmp = path.with_name(path.stem + ".tmp.keras")
    model.save(tmp)
    os.replace(tmp, path)


def _read_weights(path: Path) -> list[np.ndarray]:
    """The arrays `_save_weights` wrote, in order."""
    with np.load(path) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def _load_weights(model, path: Path) -> None:
    model.set_weights(_read_weights(path))


def _resume_model(run_dir: Path, cfg: TrainConfig, steps_per_epoch: int, epochs_done: int):
    """The model to continue: the full checkpoint when there is one in `cfg.precision`, else a fresh model with
    the checkpoint's or the committed weights whose schedule is moved on to `epochs_done` (the optimiser's
    moments restart from zero)."""
    import keras

    from emotune.training.models import build_model, precision_of

    if (run_dir / CHECKPOINT).is_file():
        checkpoint = keras.models.load_model(run_dir / CHECKPOINT)
        if precision_of(checkpoint) == cfg.precision:
            return checkpoint
        weights = checkpoint.get_weights()   # to go on in other arithmetic: its weights, a fresh optimiser
    else:
        weights = _read_weights(run_dir / LAST_WEIGHTS)
    model = build_model(cfg.arch, cfg.input_size, cfg.dropout, cfg.precision)
    compile_model(model, cfg, steps_per_epoch)
    model.set_weights(weights)
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(epochs_done * steps_per_epoch)
    if not (run_dir / BEST).is_file() and (run_dir / BEST_WEIGHTS).is_file():
        best = build_model(cfg.arch, cfg.input_size, cfg.dropout)   # float32, as _keep_best writes it
        _load_weights(best, run_dir / BEST_WEIGHTS)
        _save_atomic(best, run_dir / BEST)
    return model


def _start_from(model, path: str) -> None:
    """Puts the weights at `path` into `model` (a fine-tune's or a second cycle's starting point): a .keras model,
    or a run's .weights.npz (last, best or ema), which must be of this run's architecture and input size (for a
    weight file, the input size its run's state.json names, when it is beside it)."""
    if not Path(path).is_file():
        raise ValueError(f"the model to start from, {path}, does not exist")
    if str(path).endswith(".npz"):
        weights = _read_weights(Path(path))
        size = ((read_state(Path(path).parent) or {}).get("config") or {}).get("input_size")
        fits = [w.shape for w in weights] == [w.shape for w in model.get_weights()] and size in (
            None, model.input_shape[1])
    else:
        import keras

        start = keras.models.load_model(path, compile=False)
        weights = start.get_weights()
        fits = start.input_shape == model.input_shape and [w.shape for w in weights] == [
            w.shape for w in model.get_weights()]
    if not fits:
        raise ValueError(f"{path} is another architecture or input size than this run's; it cannot be its start")
    model.set_weights(weights)


def _in_float32(model, cfg: TrainConfig):
    """The model itself, or for a bfloat16 run a float32 twin with its weights: what `--export` and the ONNX
    export read must compute as the app does."""
    if cfg.precision == "float32":
        return model
    from emotune.training.models import build_model

    twin = build_model(cfg.arch, cfg.input_size, cfg.dropout)
    twin.set_weights(model.get_weights())
    return twin


def _keep_best(run: _Progress, model, run_dir: Path, epoch: int, weights: str) -> None:
    """The model as it is now becomes the best checkpoint (in float32); the run's state records which epoch and
    which weights ("last" or the "ema" average) it is."""
    _save_atomic(_in_float32(model, run.cfg), run_dir / BEST)
    _save_atomic(model, run_dir / BEST_WEIGHTS)
    run.state["best"] = {"epoch": epoch, "weights": weights}


def _write_state(run_dir: Path, state: dict) -> None:
    tmp = run_dir / (STATE + ".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, run_dir / STATE)


def read_state(run_dir: Path) -> dict | None:
    path = Path(run_dir) / STATE
    return json.loads(path.read_text()) if path.is_file() else None


@dataclass
class _Progress:
    """Where a run stands: its (stored) config and model, the state written after each epoch, and the best
    PublicTest accuracy so far."""
    cfg: TrainConfig
    model: object
    state: dict
    start: int
    history: list[dict]
    best_acc: float


def _open_run(data: FerData, cfg: TrainConfig, run_dir: Path, resume: bool, precision: str | None) -> _Progress:
    """A new run of `cfg`, or with `resume` the run stored in `run_dir` (its own config: the same run), in
    `precision` when given: the arithmetic belongs to the machine, not the recipe (the weights are float32
    either way), so a bfloat16 run begun on a CPU with AMX can go on in float32 on one without."""
    import keras

    state = read_state(run_dir) if resume else None
    if resume and (state is None or not any((run_dir / f).is_file() for f in (CHECKPOINT, LAST_WEIGHTS))):
        raise ResumeError(f"nothing to resume in {run_dir}: no {STATE} with {CHECKPOINT} or {LAST_WEIGHTS} "
                          "from an earlier run")
    if state is not None:
        if state.get("data_sha256") != data.sha256:
            raise ResumeError(f"the checkpoint in {run_dir} was trained on other data (hash differs)")
        cfg = TrainConfig.from_dict(state["config"])
        start = int(state["epochs_done"])
        if precision and precision != cfg.precision:
            log.info("%s continues in %s from epoch %d (it ran in %s)", run_dir, precision, start + 1, cfg.precision)
            cfg = cfg.with_overrides(precision=precision)
            state["config"] = cfg.to_dict()
            state.setdefault("precision_changes", []).append({"from_epoch": start + 1, "precision": precision})
        model = _resume_model(run_dir, cfg, _steps_per_epoch(data, cfg), start)
        log.info("resuming %s at epoch %d of %d", run_dir, start + 1, cfg.epochs)
        return _Progress(cfg, model, state, start, list(state["history"]),
                         float(state.get("best_val_accuracy", 0.0)))
    from emotune.training.models import build_model

    cfg = cfg.with_overrides(precision=precision)
    keras.utils.set_random_seed(cfg.seed)
    model = build_model(cfg.arch, cfg.input_size, cfg.dropout, cfg.precision)
    compile_model(model, cfg, _steps_per_epoch(data, cfg))
    if cfg.init_weights:
        _start_from(model, cfg.init_weights)
    state = {"config": cfg.to_dict(), "data_sha256": data.sha256, "data_source": data.source,
             "backend": keras.backend.backend(), "params": int(model.count_params())}
    return _Progress(cfg, model, state, 0, [], -1.0)


def _training_set(data: FerData, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray, SoftTargets | None]:
    """The training pictures, labels and soft targets (if any), cut to `cfg.max_train` when set."""
    if cfg.soft_targets and cfg.teacher_models:
        raise ValueError("a run learns from stored soft targets or from live teacher models, not both; "
                         "drop --soft-targets (or write 'none') or the --teacher-model options")
    x_train, y_train = data.train.x, data.train.y
    soft: SoftTargets | None = None
    if cfg.soft_targets:
        soft = load_soft_targets(cfg.soft_targets, cfg.soft_weight, data.sha256, y_train)
    if cfg.max_train:
        sub = np.sort(np.random.default_rng(cfg.seed).permutation(len(y_train))[:cfg.max_train])
        x_train, y_train = x_train[sub], y_train[sub]
        soft = soft.subset(sub) if soft else None
    return x_train, y_train, soft


def _score_and_keep(run: _Progress, average: WeightAverage | None, x_val: np.ndarray, y_val: np.ndarray,
                    run_dir: Path, epoch: int, row: dict) -> None:
    """After an epoch: the checkpoint and last weights, the best so far (the weights or their average,
    whichever scores higher on PublicTest), and the average's score in `row`."""
    model = run.model
    val_loss, val_acc = model.evaluate(x_val, y_val, batch_size=256, verbose=0)
    row.update(val_loss=float(val_loss), val_accuracy=float(val_acc))
    _save_atomic(model, run_dir / CHECKPOINT)
    _save_atomic(model, run_dir / LAST_WEIGHTS)
    if val_acc > run.best_acc:
        run.best_acc = float(val_acc)
        _keep_best(run, model, run_dir, epoch, "last")
    if average:
        average.save(run_dir / EMA_WEIGHTS)
        trained = model.get_weights()
        model.set_weights(average.weights)   # scored (and kept as the best) in the same model, then put back
        row["ema_val_accuracy"] = float(model.evaluate(x_val, y_val, batch_size=256, verbose=0)[1])
        if row["ema_val_accuracy"] > run.best_acc:
            run.best_acc = row["ema_val_accuracy"]
            _keep_best(run, model, run_dir, epoch, "ema")
        model.set_weights(trained)


def train(data: FerData, cfg: TrainConfig, run_dir: Path, resume: bool = False, verbose: int = 2,
          on_epoch: Callable[[dict], None] | None = None, precision: str | None = None) -> TrainResult:
    """Trains `cfg` on `data` into `run_dir`; with `resume`, continues from its last checkpoint (and its
    stored config, so a resumed run is the same run). `precision`, when given, replaces the config's
    arithmetic, a resumed run's included."""
    import keras

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    run = _open_run(data, cfg, run_dir, resume, precision)
    cfg, model, state, history = run.cfg, run.model, run.state, run.history
    x_train, y_train, soft = _training_set(data, cfg)
    teacher: LiveTeacher | None = None
    if cfg.teacher_models:
        teacher = load_live_teacher(cfg.teacher_models, cfg.soft_weight, cfg.input_size)   # missing files first
        state["teacher_sha256"] = teacher_fingerprints(cfg.teacher_models, state.get("teacher_sha256"),
                                                      state.get("teacher_reexports", ()))
    weights = class_weights(np.bincount(y_train, minlength=N_EMOTIONS), cfg.class_weight_power).astype(np.float32)
    eye = np.eye(N_EMOTIONS, dtype=np.float32)
    x_val, y_val = data.val.x.astype(np.float32), eye[data.val.y]
    average = WeightAverage.resume(run_dir / EMA_WEIGHTS, model, cfg.ema_decay) if cfg.ema_decay > 0 else None
    callbacks = [average.callback()] if average else []
    for epoch in range(run.start, cfg.epochs):
        t0 = time.monotonic()
        rng = np.random.default_rng([cfg.seed, epoch])  # per-epoch stream: a resumed epoch sees the same data
        keras.utils.set_random_seed(cfg.seed + epoch)
        order = epoch_indices(y_train, cfg, rng)
        xb, flips = augment_batch_with_flips(x_train[order], rng, cfg.augment)
        yb = soft.targets(y_train, order, flips) if soft else eye[y_train[order]]
        sw = weights[y_train[order]]
        if cfg.mixup_alpha > 0:
            xb, yb = mixup(xb, yb, rng, cfg.mixup_alpha)
        if teacher:   # the teacher reads the same (mixed) pictures the student is fed
            yb = teacher.targets(xb, yb)
        fit = model.fit(xb.astype(np.float32), yb, sample_weight=sw, batch_size=cfg.batch_size, epochs=1,
                        shuffle=False, verbose=verbose, callbacks=callbacks)
        row = {"epoch": epoch + 1, "loss": float(fit.history["loss"][-1]),
               "accuracy": float(fit.history["accuracy"][-1])}
        _score_and_keep(run, average, x_val, y_val, run_dir, epoch + 1, row)
        row.update(seconds=round(time.monotonic() - t0, 1),
                   load_average=round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None)
        history.append(row)
        state.update(epochs_done=epoch + 1, history=history, best_val_accuracy=run.best_acc)
        _write_state(run_dir, state)
        write_csv(history, run_dir / CURVE_CSV)
        plot(history, run_dir / CURVE_PNG, f"{cfg.arch}, {cfg.input_size} px: accuracy per epoch", cfg.epochs)
        log.info("epoch %d/%d: %s", epoch + 1, cfg.epochs, row)
        if on_epoch:
            on_epoch(row)
    return TrainResult(run_dir, run_dir / BEST, run.best_acc, len(history), history)
