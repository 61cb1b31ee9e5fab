"""Issue 13, step 1: which emotion-CNN architecture buys the most accuracy per unit of CPU?

For each candidate: parameters, multiply-adds per face, one training step of 128 faces and ms per face for
inference (both timed side by side in this one run, so their ratios are fair on a shared machine), then a
short training run with the same schedule for all (`STUDY` below) and its PublicTest accuracy. Writes
`docs/arch_study.json` and prints the table docs/model.md shows.

    .venv/bin/python scripts/compare_architectures.py --data ../shared/datasets/fer2013 [--epochs 3]
        [--only mini_xception compact]

Each candidate trains into runs/arch/<name>-e<epochs>-n<faces> with checkpoints, so an interrupted study
resumes where it stopped (and a study with another schedule does not resume this one's runs).
PrivateTest is not touched here: the choice is made on PublicTest alone.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from emotune.training.config import LIGHT_AUGMENT, TrainConfig  # noqa: E402

# (name, arch, input size): the mini-Xception family at two widths, a narrow ResNet-18, today's compact VGG,
# and the ResNet at 40 px (the recipes' crop size; ~30 % fewer MACs).
CANDIDATES = [
    ("mini_xception", "mini_xception", 48),
    ("sepres_w2", "sepres_w2", 48),
    ("resnet18_w16", "resnet18_w16", 48),
    ("resnet18_w16@40", "resnet18_w16", 40),
    ("compact", "compact", 48),
]

# The same short schedule for every candidate: AdamW with a short warm-up and cosine decay, light augmentation.
STUDY = TrainConfig(epochs=3, batch_size=128, optimizer="adamw", learning_rate=3e-3, warmup_epochs=0.3,
                    dropout=0.3, augment=LIGHT_AUGMENT)


def _median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_costs(repeats: int, candidates=CANDIDATES) -> dict[str, dict]:
    """Parameters, MACs, train-step seconds and inference ms/face for every candidate, side by side."""
    import keras
    import tensorflow as tf

    from emotune.training.cost import macs_per_face
    from emotune.training.models import build_model
    from emotune.training.trainer import compile_model

    rng = np.random.default_rng(0)
    out = {}
    for name, arch, size in candidates:
        keras.backend.clear_session()
        model = build_model(arch, size, STUDY.dropout)
        compile_model(model, replace(STUDY, arch=arch, input_size=size), steps_per_epoch=100)
        x = rng.integers(0, 256, (128, size, size, 1)).astype(np.float32)
        y = np.eye(7, dtype=np.float32)[rng.integers(0, 7, 128)]
        step = _median_seconds(lambda: model.train_on_batch(x, y), repeats)
        infer = tf.function(lambda t: model(t, training=False), reduce_retracing=True, autograph=False)
        batch = tf.constant(x[:16])
        ms16 = _median_seconds(lambda: infer(batch).numpy(), repeats * 3) * 1000 / 16
        one = tf.constant(x[:1])
        ms1 = _median_seconds(lambda: infer(one).numpy(), repeats * 3) * 1000
        out[name] = {"arch": arch, "input_size": size, "params": int(model.count_params()),
                     "mmac_per_face": round(macs_per_face(model) / 1e6, 1), "train_step_s": round(step, 3),
                     "ms_per_face_batch16": round(ms16, 3), "ms_one_face": round(ms1, 3)}
        print(name, out[name], flush=True)
    return out


def train_short(data_dir: Path, epochs: int, max_train: int, candidates=CANDIDATES) -> dict[str, dict]:
    """The short schedule for each candidate; resumes a candidate's unfinished run."""
    import keras

    from emotune.training.data import load_fer
    from emotune.training.trainer import read_state, train

    out = {}
    for name, arch, size in candidates:
        run_dir = REPO / "runs" / "arch" / f"{name.replace('@', '_')}-e{epochs}-n{max_train or 'all'}"
        cfg = replace(STUDY, arch=arch, input_size=size, epochs=epochs, max_train=max_train)
        state = read_state(run_dir)
        if not (state and state.get("epochs_done", 0) >= epochs):
            keras.backend.clear_session()
            data = load_fer(data_dir, size, REPO / "runs" / "cache")
            train(data, cfg, run_dir, resume=state is not None, verbose=0,
                  on_epoch=lambda row, n=name: print(n, row, flush=True))
            state = read_state(run_dir)
        hist = state["history"]
        out[name] = {"public_test_accuracy": round(max(h["val_accuracy"] for h in hist), 4),
                     "epochs": len(hist), "max_train": max_train,
                     "seconds_per_epoch": round(statistics.median(h["seconds"] for h in hist), 1),
                     "load_average": [h.get("load_average") for h in hist]}
    return out


def table(rows: dict[str, dict]) -> str:
    lines = ["| candidate | params | MMAC/face | train step (128) | ms/face, batch 16 | ms, 1 face | s/epoch "
             "(load) | PublicTest after the short schedule | % per MMAC |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        acc = r.get("public_test_accuracy")
        loads = [x for x in r.get("load_average", []) if x is not None]
        load = f" ({statistics.median(loads):.1f})" if loads else ""
        trained = (f"{r['seconds_per_epoch']:.0f}{load} | {acc:.2%} | {100 * acc / r['mmac_per_face']:.2f}"
                   if acc is not None else "– | – | –")
        lines.append(f"| {name} | {r['params']:,} | {r['mmac_per_face']} | {r['train_step_s']:.2f} s | "
                     f"{r['ms_per_face_batch16']:.2f} | {r['ms_one_face']:.2f} | {trained} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets" / "fer2013")
    ap.add_argument("--epochs", type=int, default=STUDY.epochs)
    ap.add_argument("--max-train", type=int, default=0, help="train on this many faces (0 = all)")
    ap.add_argument("--repeats", type=int, default=8)
    ap.add_argument("--costs-only", action="store_true")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="these candidates only (names as in the table)")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "arch_study.json")
    args = ap.parse_args(argv)
    names = [c[0] for c in CANDIDATES]
    unknown = sorted(set(args.only or ()) - set(names))
    if unknown:
        ap.error(f"unknown candidate(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    candidates = [c for c in CANDIDATES if not args.only or c[0] in args.only]
    rows = measure_costs(args.repeats, candidates)
    if not args.costs_only:
        for name, r in train_short(args.data, args.epochs, args.max_train, candidates).items():
            rows[name].update(r)
    args.out.write_text(json.dumps({"schedule": STUDY.to_dict() | {"epochs": args.epochs,
                                                                  "max_train": args.max_train},
                                    "load_average_at_cost_timing": round(os.getloadavg()[0], 1),
                                    "candidates": rows}, indent=2) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
