"""`emotune train --data DIR`: trains the emotion CNN with a named recipe (see docs/model.md), checkpoints
every epoch, resumes with --resume, and with --export writes the best model plus its card for the app."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train the emotion CNN on FER2013",
                              description="Train the emotion CNN on FER2013 (image folders or fer2013.csv).")
    p.add_argument("--data", required=True, type=Path, help="FER2013 folder (train/, test/) or fer2013.csv")
    p.add_argument("--preset", default="cpu",
                   help="recipe: quick, cpu, campaign, distill, gpu or smoke (default cpu)")
    p.add_argument("--run-dir", type=Path, default=None, help="checkpoint folder (default runs/<preset>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    p.add_argument("--export", type=Path, default=None,
                   help="write the best model here (.keras) with its card (.json) beside it")
    p.add_argument("--cache-dir", type=Path, default=Path("runs/cache"), help="decoded-data cache (.npz)")
    p.add_argument("--arch", help="override the architecture (tiny, small, compact, mini_xception, sepres_w2, "
                                          "resnet18_w16, resnet18_w32, vgg, resnet18)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, dest="learning_rate")
    p.add_argument("--optimizer", choices=("adamw", "sgd"))
    p.add_argument("--mixup", type=float, dest="mixup_alpha")
    p.add_argument("--label-smoothing", type=float)
    p.add_argument("--class-weight-power", type=float,
                   help="class weights (median/count)^P: 0 off (the shipped model), 1 fully balanced")
    p.add_argument("--augment", choices=("webcam", "light", "domain"),
                   help="the augmentation: webcam jitter, a lighter one, or webcam plus the real-photo domain "
                        "(default: the preset's)")
    p.add_argument("--max-train", type=int, help="use only this many training faces (smoke runs)")
    p.add_argument("--seed", type=int)
    p.add_argument("--soft-targets", help="a teacher's teacher_soft.npz (scripts/teacher_soft_targets.py) to distil "
                                          "from; 'none' trains on the labels alone")
    p.add_argument("--teacher-model", action="append", dest="teacher_models", metavar="ONNX",
                   help="an ONNX emotion model that reads every augmented training picture and teaches the student "
                        "(repeat for an ensemble; instead of --soft-targets)")
    p.add_argument("--soft-weight", type=float,
                   help="the teacher's share of each target, 0 to 1 (the preset's: 0.6 in distill)")
    p.add_argument("--warmup", type=float, dest="warmup_epochs",
                   help="epochs of linear learning-rate warm-up (0 for a second cycle from trained weights)")
    p.add_argument("--init-weights", help="a .keras model, or a run's .weights.npz, of the same architecture to "
                                          "start from (a fine-tune or a second cycle); 'none' starts from random "
                                          "weights (the distill preset starts from the shipped model)")
    p.add_argument("--precision", choices=("float32", "bfloat16"),
                   help="bfloat16: layers compute in bfloat16 over float32 weights, faster for the wider nets on "
                        "CPUs with AMX and on GPUs, much slower elsewhere (default float32; with --resume it "
                        "replaces the run's own)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emotune.training.config import TrainConfig
    from emotune.training.data import DatasetError, load_fer
    from emotune.training.trainer import ResumeError, read_state, train

    run_dir = args.run_dir or Path("runs") / args.preset
    stored = read_state(run_dir) if args.resume else None
    try:
        # a resumed run is the run stored in run_dir: its data must come at its input size, whatever --preset says
        cfg = TrainConfig.from_dict(stored["config"]) if stored else recipe(args)
        data = load_fer(args.data, cfg.input_size, args.cache_dir)
    except (ValueError, DatasetError, OSError) as exc:
        print(f"emotune train: {exc}", file=sys.stderr)
        return 2
    what = f"resuming {cfg.arch} at epoch {stored['epochs_done'] + 1} of {cfg.epochs}" if stored else \
        f"training {cfg.arch} ({args.preset})"
    if stored and args.precision and args.precision != cfg.precision:
        what += f" in {args.precision} (it ran in {cfg.precision} so far)"
    print(f"{what} on {len(data.train)} faces, validating on {len(data.val)}; checkpoints in {run_dir}", flush=True)
    _warn_if_bfloat16_is_emulated(args.precision or cfg.precision)
    try:
        result = train(data, cfg, run_dir, resume=args.resume, precision=args.precision,
                       verbose=0 if args.quiet else 2,
                       on_epoch=None if args.quiet else lambda row: print(
                           f"epoch {row['epoch']}: train acc {row['accuracy']:.3f}, val acc "
                           f"{row['val_accuracy']:.3f} ({row['seconds']:.0f}s)", flush=True))
    except (ResumeError, ValueError) as exc:  # ValueError: an unusable teacher file or starting model
        print(f"emotune train: {exc}", file=sys.stderr)
        return 2
    print(f"best PublicTest accuracy {result.best_val_accuracy:.2%} after {result.epochs_done} epochs: "
          f"{result.best_path}")
    if args.export:
        from emotune.training.export import export_model

        card = export_model(result.best_path, args.export, data, command=_command_line(args))
        ev = card["test"]
        print(f"exported {args.export}: PrivateTest {ev['accuracy']:.2%} ({ev['accuracy_tta']:.2%} with flip TTA), "
              f"ECE {ev['ece_before_temperature']:.2%} -> {ev['ece_after_temperature']:.2%}")
    return 0


def recipe(args: argparse.Namespace):
    """The preset named by --preset with the options given on the command line (ValueError when one is not
    usable)."""
    from emotune.training.config import AUGMENTS, preset

    return preset(args.preset).with_overrides(
        arch=args.arch, epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        optimizer=args.optimizer, mixup_alpha=args.mixup_alpha, label_smoothing=args.label_smoothing,
        class_weight_power=args.class_weight_power, max_train=args.max_train, seed=args.seed,
        warmup_epochs=args.warmup_epochs, soft_targets=_unless_none(args.soft_targets), soft_weight=args.soft_weight,
        teacher_models=tuple(args.teacher_models) if args.teacher_models else None,
        init_weights=_unless_none(args.init_weights), augment=AUGMENTS[args.augment] if args.augment else None,
        precision=args.precision)


def _warn_if_bfloat16_is_emulated(precision: str) -> None:
    from emotune.training.models import bfloat16_is_native

    if precision == "bfloat16" and not bfloat16_is_native():
        print("emotune train: warning: this machine has no bfloat16 units (no GPU, and no AMX, AVX-512 BF16 or "
              "Arm BF16 on the CPU), so bfloat16 is emulated and runs several times slower than float32; add "
              "--precision float32 (a resumed run goes on from its weights)", file=sys.stderr, flush=True)


def _unless_none(path: str | None) -> str | None:
    """A file option's value: 'none' switches the preset's file off (""), absent keeps the preset's (None)."""
    return "" if path == "none" else path


def _command_line(args: argparse.Namespace) -> str:
    """The `emotune train` call that reproduces this run, for the model card."""
    parts = ["emotune", "train", "--data", str(args.data), "--preset", args.preset]
    for flag in ("arch", "epochs", "batch_size", "learning_rate", "optimizer", "mixup_alpha", "label_smoothing",
                 "class_weight_power", "warmup_epochs", "augment", "max_train", "seed", "soft_targets",
                 "soft_weight", "init_weights", "precision"):
        value = getattr(args, flag)
        if value is not None:
            name = {"learning_rate": "lr", "mixup_alpha": "mixup", "warmup_epochs": "warmup"}.get(flag, flag)
            name = name.replace("_", "-")
            parts += [f"--{name}", str(value)]
    for teacher in args.teacher_models or ():
        parts += ["--teacher-model", teacher]
    if args.run_dir:
        parts += ["--run-dir", str(args.run_dir)]
    return " ".join(parts + ["--export", str(args.export)])
