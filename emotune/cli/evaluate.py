"""`emotune eval --data DIR`: scores an emotion model on FER2013 PrivateTest through the app's own inference
path: accuracy with and without flip TTA, per-class recall, the confusion matrix, and calibration (ECE
before/after the temperature fitted on PublicTest). --update-card writes the figures into the model card and
exports the .onnx the app runs beside the .keras (checked against Keras on 500 test faces)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("eval", help="score the emotion model on FER2013 PrivateTest",
                              description="Score an emotion model on FER2013 PrivateTest (validation: PublicTest).")
    p.add_argument("--data", required=True, type=Path, help="FER2013 folder (train/, test/) or fer2013.csv")
    p.add_argument("--model", type=Path, default=None, help="a .keras file (default: the shipped model)")
    p.add_argument("--cache-dir", type=Path, default=Path("runs/cache"), help="decoded-data cache (.npz)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument("--update-card", action="store_true",
                   help="write the measured figures (and speed under this backend) into the model's card, and "
                        "export the .onnx the app runs beside the .keras")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emotune.inference.classifier import ModelUnavailable
    from emotune.resources import model_path
    from emotune.training.data import DatasetError, load_fer
    from emotune.training.export import raw_classifier, score, update_card

    path = args.model or model_path("emotion_cnn.keras")
    try:
        clf = raw_classifier(path)
        data = load_fer(args.data, clf.input_size, args.cache_dir)
    except (ModelUnavailable, DatasetError, OSError, ValueError) as exc:
        print(f"emotune eval: {exc}", file=sys.stderr)
        return 2
    if not len(data.test):
        print(f"emotune eval: no PrivateTest faces in {data.source}", file=sys.stderr)
        return 2
    ev = score(path, data)
    if args.json:
        print(json.dumps({"model": str(path), "data_sha256": data.sha256, **ev.to_dict()}))
    else:
        print(f"model: {path}\ndata: {data.source} (sha256 {data.sha256[:16]}…), PrivateTest")
        print(ev.format())
    if args.update_card:
        card = update_card(path, data, ev)
        onnx = card.get("onnx") or {}
        print(f"updated {path.with_suffix('.json')} (ms/face with TTA, batch 1: "
              f"{card['speed']['ms_per_face_tta_batch1']} Keras, {card['speed'].get('onnx_ms_per_face_tta_batch1')} "
              f"ONNX) and {onnx.get('file', onnx.get('missing'))}", file=sys.stderr)
    return 0
