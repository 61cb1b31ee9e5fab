"""Issue 13 on a lent GPU: several recipes of `emotune train` side by side on one accelerator, each fitted to
one fixed wall-clock budget, with what comes back small enough for the device tool (≤ 8 files, ≤ 16 MB each).

The device machine has Python 3.12, JAX, PyTorch and OpenCV but not Keras or TensorFlow, sees no network and
takes at most 64 MiB along, so the faces travel pre-cropped through the app's own `prepare_face` (one
preprocessing for training and inference) and LZMA-packed, and Keras travels as wheels:

    # here, once (the .data/ and .whl/ folders are ignored by git)
    .venv/bin/python scripts/gpu_campaign.py pack --data ../shared/datasets/fer2013 --size 40
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \\
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl keras==3.15.1 optree namex
    # on the device (carry .data and .whl)
    pip install --no-index --no-deps --target /tmp/site .whl/*.whl && PYTHONPATH=/tmp/site:. \\
        python3 scripts/gpu_campaign.py run --budget 480 --out $OUT
    # here, for each run that came back
    .venv/bin/python scripts/gpu_campaign.py adopt /work/.device/.../resnet.tar --out runs/gpu/resnet.keras

Every recipe is the CPU campaign's (`--preset campaign`), changed only where its name says. The number of
epochs is fitted to the budget: two warm-up epochs are timed (the warm-up does not depend on the total), then
the cosine schedule is fixed for as many epochs as the rest of the budget holds, and training resumes from
the weights of epoch 2 with that schedule (the trainer's committed-weights resume; momentum restarts).
"""
from __future__ import annotations

import argparse
import io
import json
import lzma
import math
import os
import subprocess
import sys
import tarfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotune.training.config import LIGHT_AUGMENT, TrainConfig, preset  # noqa: E402
from emotune.training.trainer import (  # noqa: E402
    BEST,
    BEST_WEIGHTS,
    CHECKPOINT,
    CURVE_CSV,
    EMA_WEIGHTS,
    LAST_WEIGHTS,
    STATE,
    _read_weights,
    _save_atomic,
    _write_state,
    read_state,
    train,
)

PACK = ROOT / ".data" / "fer40.npz.xz"
# name -> changes to the campaign preset
RECIPES: dict[str, dict] = {
    "resnet": {},
    "resnet_mixup": {"mixup_alpha": 0.2},
    "resnet_cw0": {"class_weight_power": 0.0},
    "sepres": {"arch": "sepres_w2"},
    # A second cosine cycle (a warm restart, as in SGDR) from the last weights of a finished run, at a fifth
    # of the peak rate; the run's weights travel as .data/init.weights.npz.
    "cycle2": {"learning_rate": 0.02, "warmup_epochs": 0},
    "cycle2_light": {"learning_rate": 0.02, "warmup_epochs": 0, "augment": LIGHT_AUGMENT},
}
INIT = ROOT / ".data" / "init.weights.npz"
INIT_CONFIG = ROOT / ".data" / "init.json"     # the finished run's config, which a second cycle keeps
COMPILE_S = 50                # a process's first epoch compiles the step first (measured on the H200: ~45 s)
EPOCH_S = 5.5                 # an epoch there with three or four runs side by side (4.1-6.6 s measured)
CALIBRATION_EPOCHS = 2       # = the campaign's warm-up, whose learning rates do not depend on the total
RESTART_S = 60               # rebuilding the model and compiling it again after the warm-up, and the last save
RETURNED = (STATE, CURVE_CSV, BEST_WEIGHTS, EMA_WEIGHTS, LAST_WEIGHTS)


class _Calibrated(Exception):
    """Raised after the timed warm-up epochs to leave `train` with their checkpoint written."""


def pack(data_dir: Path, size: int, out: Path) -> None:
    from emotune.training.data import load_fer

    data = load_fer(data_dir, size)
    buf = io.BytesIO()
    np.savez(buf, train_x=data.train.x, train_y=data.train.y, val_x=data.val.x, val_y=data.val.y,
             sha256=data.sha256, source=data.source)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(lzma.compress(buf.getvalue(), preset=6))
    print(f"{out}: {out.stat().st_size / 2**20:.1f} MiB, {len(data.train)} train, {len(data.val)} val, {size} px")


def unpack(path: Path):
    """FerData with train and val (PrivateTest stays here: it is scored only where the model is adopted)."""
    from emotune.training.data import FerData, Split

    with np.load(io.BytesIO(lzma.decompress(path.read_bytes()))) as z:
        faces, val = Split(z["train_x"], z["train_y"]), Split(z["val_x"], z["val_y"])
        empty = Split(np.zeros((0, *faces.x.shape[1:]), np.uint8), np.zeros(0, np.int64))
        return FerData(faces, val, empty, source=str(z["source"]), sha256=str(z["sha256"]))


def train_one(name: str, pack_path: Path, run_dir: Path, deadline: float, max_train: int = 0) -> None:
    """One recipe: time the warm-up, fix the schedule to the budget left, train to the end."""
    data = unpack(pack_path)
    cfg = preset("campaign").with_overrides(**RECIPES[name], max_train=max_train or None)
    if name.startswith("cycle2"):
        return second_cycle(name, data, cfg, run_dir, deadline)
    t0 = time.time()

    def stop_after_warmup(row: dict) -> None:
        if row["epoch"] >= CALIBRATION_EPOCHS:
            raise _Calibrated

    try:
        train(data, cfg, run_dir, verbose=0, on_epoch=stop_after_warmup)
    except _Calibrated:
        pass
    state = read_state(run_dir)
    epoch_s = state["history"][-1]["seconds"] * 1.1   # the second epoch: compiled, under the others' load
    epochs = CALIBRATION_EPOCHS + max(1, math.floor((deadline - time.time() - RESTART_S) / epoch_s))
    print(f"{name}: warm-up took {time.time() - t0:.0f} s, {epoch_s:.1f} s an epoch; {epochs} epochs in all",
          flush=True)
    state["config"]["epochs"] = epochs
    _write_state(run_dir, state)
    (run_dir / CHECKPOINT).unlink()   # resume from the weights, with the schedule rebuilt for `epochs`
    train(data, cfg, run_dir, resume=True, verbose=0,
          on_epoch=lambda row: print(f"{name}: {json.dumps(row)}", flush=True))


def second_cycle(name: str, data, cfg, run_dir: Path, deadline: float) -> None:
    """A new cosine cycle from a finished run's last weights (the trainer's resume from committed weights,
    at step 0), as many epochs as the budget holds at the measured epoch time."""
    import shutil

    import keras

    first = TrainConfig.from_dict(json.loads(INIT_CONFIG.read_text()))
    epochs = max(1, math.floor((deadline - time.time() - COMPILE_S - 15) / EPOCH_S))
    cfg = first.with_overrides(**RECIPES[name], epochs=epochs, max_train=cfg.max_train)
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(INIT, run_dir / LAST_WEIGHTS)
    state = {"config": cfg.to_dict(), "data_sha256": data.sha256, "data_source": data.source,
             "backend": keras.backend.backend(), "epochs_done": 0, "history": [], "best_val_accuracy": 0.0,
             "second_cycle_of": first.to_dict()}
    _write_state(run_dir, state)
    print(f"{name}: {epochs} epochs from the first cycle's last weights", flush=True)
    train(data, cfg, run_dir, resume=True, verbose=0,
          on_epoch=lambda row: print(f"{name}: {json.dumps(row)}", flush=True))


def run(budget: float, out: Path, names: list[str], pack_path: Path, run_root: Path, max_train: int = 0) -> int:
    """All recipes at once, one process each (JAX shares the GPU; 16 cores share the augmentation)."""
    deadline = time.time() + budget
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax"),
           "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "PYTHONUNBUFFERED": "1"}
    procs = {}
    for name in names:
        (run_root / name).mkdir(parents=True, exist_ok=True)
        log = open(run_root / name / "train.log", "w")
        cmd = [sys.executable, __file__, "train-one", name, "--pack", str(pack_path),
               "--run-dir", str(run_root / name), "--deadline", str(deadline), "--max-train", str(max_train)]
        procs[name] = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(1.0, deadline + 60 - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            print(f"{name}: stopped at the budget's end")
        with tarfile.open(out / f"{name}.tar", "w") as tar:
            for f in RETURNED:
                if (run_root / name / f).is_file():
                    tar.add(run_root / name / f, arcname=f)
        state = read_state(run_root / name) or {}
        with open(out / "train.log", "a") as combined:   # one file: the device returns at most eight
            combined.write((run_root / name / "train.log").read_text())
        print(f"{name}: exit {proc.returncode}, {state.get('epochs_done')} of {state.get('config', {}).get('epochs')} "
              f"epochs, best PublicTest {state.get('best_val_accuracy')}", flush=True)
    return 0


def adopt(tars: list[Path], out: Path, data_dir: Path) -> None:
    """Here, under TensorFlow: a returned run's best weights as a .keras with its card (PrivateTest, TTA, ECE,
    ONNX). Given several runs of one architecture that started from the same weights (the second cycles), it
    adopts their uniform average, a "model soup" (Wortsman et al. 2022): weight averaging across runs."""
    from emotune.training.data import load_fer
    from emotune.training.export import export_model
    from emotune.training.models import build_model

    run_dir = out.parent / (out.stem + "-run")
    states, weights = [], []
    for tar_path in tars:
        part = run_dir / tar_path.stem
        part.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tar_path) as tar:
            tar.extractall(part, filter="data")
        states.append(json.loads((part / STATE).read_text()))
        weights.append(_read_weights(part / BEST_WEIGHTS))
    cfg = TrainConfig.from_dict(states[0]["config"])
    model = build_model(cfg.arch, cfg.input_size, cfg.dropout)
    model.set_weights([np.mean(ws, axis=0) for ws in zip(*weights)])
    _save_atomic(model, run_dir / BEST)
    state = dict(states[0])
    if len(tars) > 1:
        state["soup_of"] = {t.stem: {"config": st["config"], "history": st["history"],
                                     "best_val_accuracy": st.get("best_val_accuracy")}
                            for t, st in zip(tars, states)}
    _write_state(run_dir, state)
    recipes = ", ".join(f"{t.stem} {json.dumps(RECIPES.get(t.stem, {}), default=asdict)}" for t in tars)
    card = export_model(run_dir / BEST, out, load_fer(data_dir, cfg.input_size),
                        command=f"scripts/gpu_campaign.py run + adopt ({'average of ' if len(tars) > 1 else ''}"
                                f"{recipes}; campaign preset, {cfg.epochs} epochs)")
    print(json.dumps({k: card["test"][k] for k in ("accuracy", "accuracy_tta")}, indent=1))


def curves(tars: list[Path], first: Path | None, out_dir: Path) -> None:
    """Each returned run's learning curve as CSV and PNG in `out_dir`; with `first`, the second cycles are also
    drawn after the first cycle they continue (epochs numbered on from its last)."""
    from emotune.training.curve import plot, write_csv

    def history(tar_path: Path) -> tuple[list[dict], dict]:
        with tarfile.open(tar_path) as tar:
            state = json.load(tar.extractfile(STATE))
        return state["history"], state["config"]

    out_dir.mkdir(parents=True, exist_ok=True)
    before = history(first)[0] if first else []
    for tar_path in tars:
        rows, cfg = history(tar_path)
        if before and tar_path.stem.startswith("cycle2"):
            rows = before + [{**r, "epoch": len(before) + r["epoch"]} for r in rows]
            name = f"{first.stem}+{tar_path.stem}"
        else:
            name = tar_path.stem
        write_csv(rows, out_dir / f"gpu-{name}.csv")
        plot(rows, out_dir / f"gpu-{name}.png", f"{name}: {cfg['arch']}, {cfg['input_size']} px, H200 (JAX)",
             len(rows), target=0.69)
        best = max(max(r["val_accuracy"], r.get("ema_val_accuracy", 0)) for r in rows)
        print(f"{name}: {len(rows)} epochs, best PublicTest {best:.1%}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    pk = sub.add_parser("pack", help="crop and pack FER2013's train and PublicTest splits")
    pk.add_argument("--data", type=Path, required=True)
    pk.add_argument("--size", type=int, default=40)
    pk.add_argument("--out", type=Path, default=PACK)
    rn = sub.add_parser("run", help="train the recipes side by side within --budget seconds")
    rn.add_argument("--budget", type=float, required=True)
    rn.add_argument("--out", type=Path, required=True)
    rn.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    rn.add_argument("--pack", type=Path, default=PACK)
    rn.add_argument("--run-root", type=Path, default=Path("/tmp/gpu_runs"))
    rn.add_argument("--max-train", type=int, default=0, help="train on this many faces (a smoke run)")
    one = sub.add_parser("train-one")
    one.add_argument("name", choices=list(RECIPES))
    one.add_argument("--pack", type=Path, required=True)
    one.add_argument("--run-dir", type=Path, required=True)
    one.add_argument("--deadline", type=float, required=True)
    one.add_argument("--max-train", type=int, default=0)
    ad = sub.add_parser("adopt", help="turn a returned run into a scored .keras + card + .onnx (TensorFlow)")
    ad.add_argument("tars", type=Path, nargs="+", help="one run, or several to average")
    ad.add_argument("--out", type=Path, required=True)
    ad.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets" / "fer2013")
    cv = sub.add_parser("curves", help="write the returned runs' learning curves (CSV + PNG)")
    cv.add_argument("tars", type=Path, nargs="+")
    cv.add_argument("--first", type=Path, default=None, help="the run the second cycles continue")
    cv.add_argument("--out", type=Path, default=ROOT / "docs" / "curves")
    args = p.parse_args(argv)
    if args.command == "pack":
        pack(args.data, args.size, args.out)
    elif args.command == "run":
        args.out.mkdir(parents=True, exist_ok=True)
        return run(args.budget, args.out, args.recipes, args.pack, args.run_root, args.max_train)
    elif args.command == "train-one":
        train_one(args.name, args.pack, args.run_dir, args.deadline, args.max_train)
    elif args.command == "curves":
        curves(args.tars, args.first, args.out)
    else:
        adopt(args.tars, args.out, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
