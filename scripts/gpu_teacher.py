"""Issue 22's teacher on a lent GPU: a wider network than the app can afford, with the data and the
augmentation on the GPU (issue 13's run augmented in NumPy and kept the H200 only 6-31 % busy), several seeds
in one call, and every figure the choice needs computed there: PublicTest with flip TTA and faces-crossdomain
through the app's own crops. What comes back (≤ 8 files, ≤ 16 MiB each) is what the CPU needs to distil.

    # here, once (.data/ and .whl/ are ignored by git)
    .venv/bin/python scripts/gpu_campaign.py pack --data ../shared/datasets/fer2013 --size 40
    PYTHONPATH=$PWD .venv/bin/python scripts/gpu_teacher.py pack-crossdomain      # the app's crops, 0.8 MB
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \\
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl keras==3.15.1 optree namex
    # there (carry .data and .whl); one call of about 8 minutes, which leaves the 15 minutes of device time
    # room for the machine's start and one shorter retry
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && \\
        PYTHONPATH=/tmp/site:. KERAS_BACKEND=jax python3 scripts/gpu_teacher.py train --budget 420 \\
        --seeds 21 22 --out $OUT
    # or teachers and a student in one call of the same length: --budget 360 --student-budget 120 (below)
    # here: pick the members (the shipped model may be one) and write the soft targets the trainer reads
    PYTHONPATH=$PWD .venv/bin/python scripts/gpu_teacher.py combine <files_at>/teacher_probs.npz \\
        --members 0 1 shipped --out models/distill/gpu-teacher
    # here, after a call with --student-budget: the student as a run folder, then scored and exported
    PYTHONPATH=$PWD .venv/bin/python scripts/gpu_teacher.py adopt-student <files_at> --out models/distill/gpu-student
    PYTHONPATH=$PWD .venv/bin/python scripts/distill_report.py --run-dir models/distill/gpu-student
    PYTHONPATH=$PWD .venv/bin/python scripts/export_run_weights.py models/distill/gpu-student --weights last

The recipe is the CPU campaign's (`--preset campaign`) with class weights off, as the shipped model was
trained, at the width of `--arch` (default `resnet18`, 64-128-256-512, ~11 M parameters). The step
(scripts/jax_teacher.py) is Keras's documented JAX loop (`stateless_call`), with SGD and Nesterov momentum,
decoupled weight decay, the same warm-up and cosine schedule and a per-step weight average written out in
JAX, so the augmentation, the update and the average are one compiled function. The cosine is fitted to the
budget as in gpu_campaign.py: epoch 2 is timed, and the warm-up's two epochs do not depend on the total.

With --student-budget the call goes on to distil, which on the CPU takes four sessions: a student of the
shipped model's architecture from scratch, with the CPU students' recipe (no label smoothing, soft weight 0.6),
on the mean of the seeds' averaged predictions and the shipped model's committed ones
(`models/distill/teacher_soft.npz`), equal members, for each picture and its mirror (the augmentation says
which it mirrored). Its cosine is fitted to its own budget like the seeds'. Its averaged weights come back as one
more shard, scored there like the seeds; `adopt-student` turns them into a run folder that
scripts/distill_report.py and scripts/export_run_weights.py read. With --student-live the seeds' averaged nets and
the shipped model (models/emotion_cnn.keras) read each augmented picture inside the student's compiled step
instead (consistent teaching, as `emotune train --teacher-model` does on the CPU; docs/model.md).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PACK = ROOT / ".data" / "fer40.npz.xz"
CROSS = ROOT / ".data" / "crossdomain40.npz"
SHIPPED_SOFT = ROOT / "models" / "distill" / "teacher_soft.npz"   # the shipped model's own soft predictions
SHIPPED_MODEL = ROOT / "models" / "emotion_cnn.keras"
SHARD_BYTES = 15 * 2**20          # the device tool returns files of at most 16 MiB
MAX_FILES = 8                     # ... and at most eight of them
NEUTRAL = 6                       # index in emotune.core.emotions.EMOTIONS


def recipe(arch: str, epochs: int):
    from emotune.training.config import preset

    return preset("campaign").with_overrides(arch=arch, class_weight_power=0.0, epochs=epochs)


# --- here: the app's crops of faces-crossdomain -----------------------------------------------------------------
def pack_crossdomain(out: Path) -> None:
    """Each photo's largest face as the app crops it (scripts/distill_report.py's crops: BlazeFace, the card's
    margin and size, levelled by the eye line), its label, person and set; photos without a face are left out
    and counted."""
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier
    from scripts.distill_report import crossdomain_crops

    card = OnnxEmotionClassifier()
    card.load()
    crops, found, photos = crossdomain_crops(card.margin, card.input_size)
    kept = [p for p, ok in zip(photos, found) if ok]
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, x=crops[found], label=np.array([p.label for p in kept]),
                        person=np.array([f"{p.set}/{p.person}" for p in kept]), set=np.array([p.set for p in kept]),
                        missed=int((~found).sum()), size=card.input_size, margin=card.margin)
    print(f"{out}: {len(kept)} faces ({int((~found).sum())} photos without one), {out.stat().st_size / 1e6:.2f} MB")


def cross_labels(cross) -> np.ndarray:
    """The packed crops' labels as indices into emotune.core.emotions.EMOTIONS."""
    from emotune.core.emotions import index_of

    return np.array([index_of(str(label)) for label in cross["label"]])


def scores(p: np.ndarray, y: np.ndarray) -> dict:
    """Accuracy plain and with flip TTA; with TTA, the share of non-neutral faces called neutral and the
    neutral recall (faces-crossdomain's figures; its labels use the same indices)."""
    pred = p.mean(1).argmax(1)
    others = y != NEUTRAL
    return {"accuracy": round(float((p[:, 0].argmax(1) == y).mean()), 4),
            "accuracy_tta": round(float((pred == y).mean()), 4),
            "non_neutral_called_neutral": round(float((pred[others] == NEUTRAL).mean()), 4) if others.any() else None,
            "neutral_recall": round(float((pred[~others] == NEUTRAL).mean()), 4) if (~others).any() else None}


def save_shards(weights: list[np.ndarray], out: Path, stem: str, budget: int) -> list[str]:
    """float16 copies of `weights` in files of at most SHARD_BYTES (arr_i numbering continues across them), at
    most `budget` files; [] when they would not fit."""
    shards, current, size = [], {}, 0
    for i, w in enumerate(weights):
        w16 = w.astype(np.float16)
        if current and size + w16.nbytes > SHARD_BYTES:
            shards.append(current)
            current, size = {}, 0
        current[f"arr_{i}"] = w16
        size += w16.nbytes
    shards.append(current)
    if len(shards) > budget:
        return []
    names = []
    for k, arrays in enumerate(shards):
        names.append(f"{stem}.part{k}.npz")
        np.savez(out / names[-1], **arrays)
    return names


def read_shards(paths: list[Path]) -> list[np.ndarray]:
    """The weights `save_shards` wrote, as float32, in `get_weights()` order."""
    arrays: dict[int, np.ndarray] = {}
    for path in paths:
        with np.load(path) as z:
            arrays.update({int(k.split("_")[1]): z[k].astype(np.float32) for k in z.files})
    return [arrays[i] for i in range(len(arrays))]


def train(args) -> int:
    import keras

    from scripts.gpu_campaign import unpack
    from scripts.jax_teacher import Teacher, train_seed

    started = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log_file = (out / "teacher.log").open("a")

    def log(text: str) -> None:
        line = f"[{time.time() - started:6.0f} s] {text}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    if args.student_budget and args.student_with_shipped and args.max_train and not args.student_live:
        raise SystemExit("the shipped model's soft targets cover every training face: add "
                         "--no-student-with-shipped to a --max-train run")
    if args.bf16:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    data = unpack(Path(args.pack))
    if args.max_train:   # a random subset, as the trainer's max_train (the split is stored class by class)
        keep = np.sort(np.random.default_rng(0).permutation(len(data.train.y))[:args.max_train])
        data = replace(data, train=type(data.train)(data.train.x[keep], data.train.y[keep]))
    cfg = recipe(args.arch, args.max_epochs)
    spe = len(data.train.y) // cfg.batch_size
    cross = np.load(args.crossdomain) if Path(args.crossdomain).is_file() else None
    cross_y = cross_labels(cross) if cross is not None else None
    teacher = Teacher(cfg, spe)
    log(f"{cfg.arch}: {teacher.model.count_params():,} parameters, {len(data.train.y)} faces, {spe} steps an "
        f"epoch, seeds {args.seeds}, budget {args.budget:.0f} s")
    files_left = MAX_FILES - 3 - (1 if args.student_budget else 0)   # the log, the summary, the probabilities
    summary = {"recipe": asdict(cfg), "data_sha256": data.sha256, "seeds": []}
    train_p, val_p, cross_p, averages = [], [], [], []
    for k, seed in enumerate(args.seeds):
        deadline = started + args.budget * (k + 1) / len(args.seeds)
        last, average, history = train_seed(teacher, data, seed, deadline, args.max_epochs, log)
        scored, (val, real) = score_run(teacher, last, average, data, cross, cross_y)
        entry = {"seed": seed, "epochs": len(history), "history": history, **scored}
        # the average is the teacher (it scored higher in every CPU run); its probabilities are kept, not recomputed
        tv, ntv = average
        averages.append(average)
        train_p.append(teacher.probs(tv, ntv, data.train.x))
        val_p.append(val)
        if real is not None:
            cross_p.append(real)
        entry["weights"] = save_shards(teacher.weights(tv, ntv), out, f"seed{seed}-average", files_left)
        files_left -= len(entry["weights"])
        summary["seeds"].append(entry)
        log(f"seed {seed}: {average_line(entry)}")
        # written after every seed: a call cut short still brings back the seeds it finished
        np.savez_compressed(out / "teacher_probs.npz", train=np.stack(train_p).astype(np.float16),
                            val=np.stack(val_p).astype(np.float16),
                            cross=np.stack(cross_p).astype(np.float16) if cross_p else np.zeros(0),
                            seeds=np.array(args.seeds[:k + 1]), data_sha256=data.sha256)
        (out / "teachers.json").write_text(json.dumps(summary, indent=1) + "\n")
    if args.student_budget:
        seeds = (teacher.model, averages) if args.student_live else None
        summary["student"] = distil_student(args, data, train_p, cross, cross_y, out, log, seeds)
        (out / "teachers.json").write_text(json.dumps(summary, indent=1) + "\n")
    log(f"done in {time.time() - started:.0f} s")
    return 0


def score_run(net, last, average, data, cross, cross_y) -> tuple[dict, tuple]:
    """PublicTest and faces-crossdomain scores of a run's last and averaged (tv, ntv) pairs (`last_publictest`,
    `average_crossdomain`, ...), and the average's probabilities on both (the crops' None without them)."""
    scored, kept = {}, None
    for name, (tv, ntv) in (("last", last), ("average", average)):
        val = net.probs(tv, ntv, data.val.x)
        real = net.probs(tv, ntv, cross["x"]) if cross is not None else None
        scored[f"{name}_publictest"] = scores(val, data.val.y)
        if real is not None:
            scored[f"{name}_crossdomain"] = scores(real, cross_y)
        kept = val, real
    return scored, kept


def average_line(entry: dict) -> str:
    """The log's line for a run's weight average."""
    real = entry.get("average_crossdomain")
    return f"average {entry['average_publictest']}" + (f", faces-crossdomain {real}" if real else "")


def student_targets(seed_probs: list[np.ndarray], labels: np.ndarray, shipped: np.ndarray | None,
                    soft_weight: float) -> np.ndarray:
    """(n, 2, 7): soft_weight × the teacher + (1 − soft_weight) × the one-hot label, for each picture and its
    mirror. The teacher is the mean of the seeds and, when given, the shipped model, each an equal member (as
    `combine --members 0 1 shipped` makes it)."""
    teacher = np.mean([*seed_probs, *([] if shipped is None else [shipped])], axis=0)
    one_hot = np.eye(7, dtype=np.float32)[labels][:, None]
    return (soft_weight * teacher + (1 - soft_weight) * one_hot).astype(np.float32)


def distil_student(args, data, seed_probs: list[np.ndarray], cross, cross_y, out: Path, log, seeds=None) -> dict:
    """The student (see the module docstring) within --student-budget seconds: its scores, history and shard.
    With `seeds` (the seeds' net and their averaged (tv, ntv) pairs) the teachers read each augmented picture."""
    from scripts.jax_teacher import Teacher, live_teacher, train_seed

    cfg = recipe(args.student_arch, args.student_epochs).with_overrides(label_smoothing=0.0)
    steps = len(data.train.y) // cfg.batch_size
    if seeds is None:
        shipped = _shipped_soft_targets(len(data.train.y)) if args.student_with_shipped else None
        targets = student_targets(seed_probs, data.train.y, shipped, args.soft_weight)
        student, live_vars = Teacher(cfg, steps), None
    else:
        models, live_vars = _live_members(seeds, args.student_with_shipped)
        targets = None   # train_seed's one-hot labels; the teacher's share comes from the step
        student = Teacher(cfg, steps, live=live_teacher(models), live_weight=args.soft_weight)
    deadline = time.time() + args.student_budget
    last, average, history = train_seed(student, data, args.student_seed, deadline, args.student_epochs, log,
                                        targets, live_vars)
    entry = {"arch": cfg.arch, "seed": args.student_seed, "soft_weight": args.soft_weight,
             "with_shipped": args.student_with_shipped, "live_teacher": seeds is not None, "epochs": len(history),
             "history": history, "recipe": asdict(cfg),
             **score_run(student, last, average, data, cross, cross_y)[0]}
    entry["weights"] = save_shards(student.weights(*average), out, "student-average", 1)
    if not entry["weights"]:
        log(f"student: its weights need more than one {SHARD_BYTES >> 20} MiB file and stay there; scores only")
    log(f"student: {average_line(entry)}")
    return entry


def _shipped_soft_targets(faces: int) -> np.ndarray:
    with np.load(SHIPPED_SOFT) as z:
        shipped = z["probs"].astype(np.float32)
    if len(shipped) != faces:
        raise SystemExit(f"{SHIPPED_SOFT} covers {len(shipped)} faces, not the pack's {faces}: the pack was made "
                         "from other data")
    return shipped


def _live_members(seeds, with_shipped: bool) -> tuple[list, list]:
    """The live teacher's Keras models and their variables: each seed's average, and the shipped model."""
    import keras

    from scripts.jax_teacher import model_variables

    net, averages = seeds
    models, live_vars = [net] * len(averages), list(averages)
    if with_shipped:
        shipped = keras.saving.load_model(SHIPPED_MODEL, compile=False)
        models.append(shipped)
        live_vars.append(model_variables(shipped))
    return models, live_vars


def adopt_student(args) -> int:
    """here: the student's shard and recipe from teachers.json as a run folder (state.json, last.weights.npz)."""
    from emotune.training.config import TrainConfig
    from emotune.training.trainer import LAST_WEIGHTS, STATE, _save_weights

    summary = json.loads((args.files / "teachers.json").read_text())
    entry = summary["student"]
    if not entry["weights"]:
        raise SystemExit(f"{args.files}: the student's weights did not come back (only its scores did)")
    cfg = TrainConfig.from_dict(entry["recipe"])
    args.out.mkdir(parents=True, exist_ok=True)
    _save_weights(read_shards([args.files / name for name in entry["weights"]]), args.out / LAST_WEIGHTS)
    state = {"config": asdict(cfg), "epochs_done": entry["epochs"], "history": entry["history"],
             "trained_on": "a lent GPU (scripts/gpu_teacher.py --student-budget), weight average",
             "scores": {k: v for k, v in entry.items() if k.endswith(("_publictest", "_crossdomain"))}}
    (args.out / STATE).write_text(json.dumps(state, indent=1) + "\n")
    print(f"wrote {args.out}: {cfg.arch}, {entry['epochs']} epochs; score it with scripts/distill_report.py "
          f"--run-dir {args.out}")
    return 0


# --- here: the chosen members' soft targets ---------------------------------------------------------------------


def combine(args) -> int:
    """The mean of the chosen members (seed indices and/or 'shipped'), scored on PublicTest and
    faces-crossdomain, written as teacher_soft.npz + .json in the trainer's format."""
    from benchmarks.detection_set import fer_dir
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier, file_sha256
    from emotune.training.data import load_fer
    from scripts.teacher_soft_targets import ORDER, VALUES, teacher_probs, write_soft_targets

    got = np.load(args.probs)
    data = load_fer(fer_dir(), 40)
    if str(got["data_sha256"]) != data.sha256:
        raise SystemExit("these probabilities were computed on other FER2013 data")
    if got["train"].shape[1] != len(data.train.y):
        raise SystemExit(f"{args.probs} covers {got['train'].shape[1]} training faces, not all "
                         f"{len(data.train.y)}: a smoke run's (--max-train)")
    cross = np.load(args.crossdomain)
    cross_y = cross_labels(cross)
    if got["cross"].shape[1:2] != (len(cross_y),):
        raise SystemExit(f"{args.probs} holds no probabilities for the {len(cross_y)} crops of {args.crossdomain}: "
                         "train with the same pack-crossdomain file")
    members, names = [], []
    for member in args.members:
        if member == "shipped":   # its Training predictions are committed; PublicTest and the crops are quick
            shipped = OnnxEmotionClassifier(tta=False)
            shipped.load()
            with np.load(SHIPPED_SOFT) as z:
                train_p = z["probs"].astype(np.float32)
            members.append((train_p, teacher_probs([shipped], data.val.x), teacher_probs([shipped], cross["x"])))
        else:
            k = int(member)
            members.append(tuple(got[part][k].astype(np.float32) for part in ("train", "val", "cross")))
            member = f"seed {int(got['seeds'][k])}"
        names.append(member)
    train_p, val_p, cross_p = (np.mean([m[i] for m in members], axis=0) for i in range(3))
    report = {"members": names, "publictest": scores(val_p, data.val.y), "crossdomain": scores(cross_p, cross_y)}
    print(json.dumps(report, indent=1))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"teachers": names, "probabilities_file": Path(args.probs).name,
            "probabilities_sha256": file_sha256(Path(args.probs)),
            "data_sha256": data.sha256, "faces": len(data.train.y), "input_size": 40, "order": ORDER,
            "values": VALUES, "scores": report}
    agree = write_soft_targets(out, train_p, data.train.y, meta)
    print(f"wrote {out / 'teacher_soft.npz'}; the teacher agrees with {agree:.1%} of the Training labels")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    pc = sub.add_parser("pack-crossdomain", help="here: the app's crops of faces-crossdomain")
    pc.add_argument("--out", type=Path, default=CROSS)
    tr = sub.add_parser("train", help="there: train the seeds and write their probabilities")
    tr.add_argument("--pack", type=Path, default=PACK)
    tr.add_argument("--crossdomain", type=Path, default=CROSS)
    tr.add_argument("--arch", default="resnet18")
    tr.add_argument("--seeds", type=int, nargs="+", default=[21, 22])
    tr.add_argument("--budget", type=float, default=420.0, help="seconds for all seeds, compilation included")
    tr.add_argument("--max-epochs", type=int, default=100)
    tr.add_argument("--max-train", type=int, default=0, help="only this many training faces (smoke runs)")
    tr.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                    help="bfloat16 arithmetic with float32 weights (default on; off for CPU smoke runs)")
    tr.add_argument("--out", type=Path, required=True)
    tr.add_argument("--student-budget", type=float, default=0.0,
                    help="seconds for a distilled student after the seeds (0: none)")
    tr.add_argument("--student-arch", default="resnet18_w16")
    tr.add_argument("--student-epochs", type=int, default=60)
    tr.add_argument("--student-seed", type=int, default=23)
    tr.add_argument("--soft-weight", type=float, default=0.6)
    tr.add_argument("--student-with-shipped", action=argparse.BooleanOptionalAction, default=True,
                    help="the shipped model's predictions as one more teacher (its committed soft targets)")
    tr.add_argument("--student-live", action="store_true",
                    help="the teachers read each augmented picture in the student's step (consistent teaching) "
                         "instead of their stored predictions for the picture and its mirror")
    ad = sub.add_parser("adopt-student", help="here: the GPU student as a run folder")
    ad.add_argument("files", type=Path, help="the folder the device returned (teachers.json and the shards)")
    ad.add_argument("--out", type=Path, default=ROOT / "models" / "distill" / "gpu-student")
    co = sub.add_parser("combine", help="here: the chosen members' soft targets for the CPU trainer")
    co.add_argument("probs", type=Path, help="teacher_probs.npz from the train step")
    co.add_argument("--members", nargs="+", required=True, help="seed indices (0, 1, ...) and/or 'shipped'")
    co.add_argument("--crossdomain", type=Path, default=CROSS)
    co.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    if args.command == "pack-crossdomain":
        pack_crossdomain(args.out)
        return 0
    commands = {"train": train, "combine": combine, "adopt-student": adopt_student}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
