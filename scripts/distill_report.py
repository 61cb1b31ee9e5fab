"""Issue 22's distillation campaign, scored side by side with its teacher (the shipped model): for each epoch's
weights in the campaign folder, FER2013 PublicTest (plain and flip TTA) and faces-crossdomain through the app's
path (BlazeFace, the card's crop, flip TTA): accuracy, non-neutral faces called neutral, neutral recall, recall
per label. Cross-domain figures are given for the model alone (no bias) and with the shipped card's
temperature and logit bias (what the app would do before the bias is refitted); with --prior-correct also with
the students' target prior taken back to the label frequencies (log(label share) − log(target share), from the
Training data alone: soft targets with another class balance, such as FER+'s, move the prior the model learns).
PrivateTest is scored only with --private, for the one candidate that would ship.

With --soup each weight file is also averaged with the shipped model's weights (a "model soup": free at
inference), with the batch-norm statistics re-estimated on Training pictures for the averaged weights; only for
a fine-tune of the shipped weights (a run from scratch shares no basin with them, so it is refused); with
--ensemble the two models' probabilities are averaged (twice the cost a face: a teacher, not a model to ship);
--ensemble-all averages the shipped model with every weight file given (a teacher of several independent runs,
each in the architecture its own run names).

The detector and the crop do not depend on the model, so the crops are found once and kept in
runs/cache/crossdomain_crops.npz.

Run: `PYTHONPATH=$PWD python scripts/distill_report.py [--run-dir models/distill/campaign] [--private N]`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "runs" / "cache" / "crossdomain_crops.npz"


def crossdomain_crops(margin: float, size: int) -> tuple[np.ndarray, np.ndarray, list]:
    """The app's crop of the largest face of each faces-crossdomain photo ((n, s, s, 1) uint8, zeros where
    no face was found), which photos had a face, and the photos."""
    from benchmarks.crossdomain import load_photos
    from emotune.capture.sources import read_image
    from emotune.inference.preprocessing import prepare_faces
    from emotune.vision.factory import default_detector

    photos = load_photos()
    if CACHE.is_file():
        with np.load(CACHE) as z:
            if float(z["margin"]) == margin and int(z["size"]) == size and len(z["found"]) == len(photos):
                return z["crops"], z["found"], photos
    detector = default_detector()
    crops = np.zeros((len(photos), size, size, 1), np.uint8)
    found = np.zeros(len(photos), bool)
    for i, photo in enumerate(photos):
        image = read_image(photo.path)
        faces = detector.detect_faces(image) if hasattr(detector, "detect_faces") else None
        boxes = [f.box for f in faces] if faces is not None else detector.detect(image)
        if boxes:
            crops[i] = prepare_faces(image, boxes[:1], size, margin)[0]
            found[i] = True
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, crops=crops, found=found, margin=margin, size=size)
    return crops, found, photos


def probs(model, x: np.ndarray, tta: bool) -> np.ndarray:
    """The model's probabilities, averaged with the mirror image's under TTA (as the app's classifiers do)."""
    p = model.predict(x.astype(np.float32), batch_size=256, verbose=0)
    return (p + model.predict(x[:, :, ::-1].astype(np.float32), batch_size=256, verbose=0)) / 2.0 if tta else p


def prior_correction(cfg, labels: np.ndarray) -> np.ndarray:
    """The logit bias that takes a soft-target run's training prior back to the label frequencies."""
    label_share = np.bincount(labels, minlength=7) / len(labels)
    if not cfg.soft_targets:
        return np.zeros(7)
    with np.load(ROOT / cfg.soft_targets) as z:
        soft_share = z["probs"][:, 0].astype(np.float64).mean(0)
    target_share = cfg.soft_weight * soft_share + (1.0 - cfg.soft_weight) * label_share
    return np.log(label_share) - np.log(target_share)


def row(name: str, model, data, crops, found, photos, card: dict, prior_fix: np.ndarray | None = None) -> dict:
    from benchmarks.crossdomain import score
    from emotune.inference.calibrated import calibrate

    out = {"model": name}
    out["public_plain"] = float((probs(model, data.val.x, False).argmax(1) == data.val.y).mean())
    right = probs(model, data.val.x, True).argmax(1) == data.val.y
    out["public_flip"] = float(right.mean())
    out["_right_flip"] = right   # per face, for the paired comparison with the shipped model (not written out)
    p = probs(model, crops, True)
    labels = [ph.label for ph in photos]
    biases = [("alone", np.zeros(7)), ("card_bias", np.asarray(card["logit_bias"], float))]
    for key, bias in biases + ([("prior_fix", prior_fix)] if prior_fix is not None else []):
        pred = np.where(found, calibrate(p, card["temperature"], bias).argmax(1), -1)
        s = score(labels, pred)
        out[key] = {"acc": s.accuracy, "non_neutral_called_neutral": s.neutral_false_alarm,
                    "neutral_recall": s.neutral_recall, "recall": s.recall}
    return out


def run_model(path: Path, cfg):
    """The model of a weight file, in the architecture its own run's state.json names (so an ensemble can mix
    widths), else `cfg`'s; the input size must be `cfg`'s, the size the faces were read at."""
    from emotune.training.config import TrainConfig
    from emotune.training.models import build_model
    from emotune.training.trainer import _read_weights, read_state

    state = read_state(path.parent)
    own = TrainConfig.from_dict(state["config"]) if state else cfg
    if own.input_size != cfg.input_size:
        raise SystemExit(f"{path} is for {own.input_size} px faces, the others for {cfg.input_size} px")
    model = build_model(own.arch, own.input_size, own.dropout)
    model.set_weights(_read_weights(path))
    return model


class Ensemble:
    """Several models as one: their probabilities averaged (the `predict` that `probs` calls)."""

    def __init__(self, *models) -> None:
        self.models = models

    def predict(self, x, batch_size: int = 256, verbose: int = 0) -> np.ndarray:
        return sum(m.predict(x, batch_size=batch_size, verbose=verbose) for m in self.models) / len(self.models)


def reestimate_batch_norm(model, x: np.ndarray, batches: int = 60, batch_size: int = 256, seed: int = 0) -> None:
    """Batch-norm running statistics measured afresh for `model`'s weights on random Training pictures (each
    mirrored at random): averaged weights do not match averaged statistics. Momentum 0.9 for the pass, so
    after 60 batches the old statistics weigh 0.9^60 ≈ 0.2 %."""
    import keras

    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    saved = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.9
    rng = np.random.default_rng(seed)
    for _ in range(batches):
        pick = x[rng.choice(len(x), batch_size, replace=False)].astype(np.float32)
        flip = rng.random(batch_size) < 0.5
        pick[flip] = pick[flip][:, :, ::-1]
        model(pick, training=True)
    for layer, momentum in zip(layers, saved):
        layer.momentum = momentum


def format_row(r: dict, shipped: dict | None = None) -> str:
    """One model's line; beside the shipped model's row `shipped`, also the paired PublicTest (flip) difference."""
    from emotune.training.evaluation import paired_difference

    a, b = r["alone"], r["card_bias"]
    rec = " ".join(f"{k[:3]} {v:.2f}" for k, v in a["recall"].items())
    versus = "" if shipped is None or shipped is r else \
        f" (against the shipped model: {paired_difference(shipped['_right_flip'], r['_right_flip']).describe()})"
    return (f"{r['model']:<14} PublicTest {r['public_plain']:.2%} / {r['public_flip']:.2%} flip{versus} | cross, "
            "alone: "
            f"acc {a['acc']:.3f}, non-neutral→neutral {a['non_neutral_called_neutral']:.1%}, neutral recall "
            f"{a['neutral_recall']:.3f} ({rec}) | with the card's bias: acc {b['acc']:.3f}, "
            f"{b['non_neutral_called_neutral']:.1%}, {b['neutral_recall']:.3f}" + (
                f" | prior-corrected: acc {r['prior_fix']['acc']:.3f}, "
                f"{r['prior_fix']['non_neutral_called_neutral']:.1%}, {r['prior_fix']['neutral_recall']:.3f}"
                if "prior_fix" in r else ""))


def main(argv: list[str] | None = None) -> int:
    import keras

    from benchmarks.detection_set import fer_dir
    from emotune.training.config import TrainConfig, preset
    from emotune.training.data import load_fer
    from emotune.training.models import build_model
    from emotune.training.trainer import _read_weights, read_state

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run-dir", type=Path, default=ROOT / "models" / "distill" / "campaign")
    p.add_argument("--weights", nargs="*", type=Path, help="weight files to score (default: last.weights.npz)")
    p.add_argument("--private", type=Path, help="also score PrivateTest for this one weight file (once!)")
    p.add_argument("--json", type=Path, help="append the rows here as JSON lines")
    p.add_argument("--soup", action="store_true", help="also score each weight file averaged with the shipped model")
    p.add_argument("--ensemble", action="store_true",
                   help="also score each weight file's probabilities averaged with the shipped model's")
    p.add_argument("--ensemble-all", action="store_true",
                   help="also score the shipped model and all the weight files averaged together")
    p.add_argument("--prior-correct", action="store_true",
                   help="also score the students with their soft targets' prior taken back to the label shares")
    args = p.parse_args(argv)

    card = json.loads((ROOT / "models" / "emotion_cnn.json").read_text())
    state = read_state(args.run_dir)
    cfg = TrainConfig.from_dict(state["config"]) if state else preset("distill")
    if args.soup and not cfg.init_weights:
        p.error(f"--soup averages weights with the shipped model's, which only a fine-tune of them shares; "
                f"{args.run_dir} was trained from scratch (its mix scores a constant guess): use --ensemble")
    data = load_fer(fer_dir(), cfg.input_size, ROOT / "runs" / "cache")
    crops, found, photos = crossdomain_crops(float(card["margin"]), cfg.input_size)
    rows = []
    teacher = keras.models.load_model(ROOT / "models" / "emotion_cnn.keras", compile=False)
    rows.append(row("teacher", teacher, data, crops, found, photos, card))
    print(format_row(rows[-1], rows[0]), flush=True)
    default = [args.run_dir / "last.weights.npz"] if (args.run_dir / "last.weights.npz").is_file() else []
    weight_files = default if args.weights is None else args.weights
    for path in weight_files:
        student = run_model(path, cfg)
        fix = prior_correction(cfg, data.train.y) if args.prior_correct else None
        rows.append(row(path.name, student, data, crops, found, photos, card, fix))
        print(format_row(rows[-1], rows[0]), flush=True)
        if args.ensemble:
            rows.append(row(f"ensemble({path.stem})", Ensemble(teacher, student), data, crops, found, photos, card))
            print(format_row(rows[-1], rows[0]), flush=True)
        if args.soup:
            soup = build_model(cfg.arch, cfg.input_size, cfg.dropout)
            soup.set_weights([(a + b) / 2 for a, b in zip(teacher.get_weights(), _read_weights(path))])
            rows.append(row(f"soup({path.stem})", soup, data, crops, found, photos, card))
            print(format_row(rows[-1], rows[0]), flush=True)
            reestimate_batch_norm(soup, data.train.x)
            rows.append(row(f"soup({path.stem}), BN re-estimated", soup, data, crops, found, photos, card))
            print(format_row(rows[-1], rows[0]), flush=True)
            np.savez(args.run_dir / f"soup-{path.stem}.weights.npz", *soup.get_weights())
    if args.ensemble_all:
        members = [teacher] + [run_model(path, cfg) for path in weight_files]
        rows.append(row(f"ensemble(shipped + {len(weight_files)})", Ensemble(*members), data, crops, found, photos,
                        card))
        print(format_row(rows[-1], rows[0]), flush=True)
    if args.private:
        for name, model in (("teacher", teacher), (args.private.name, run_model(args.private, cfg))):
            plain = float((probs(model, data.test.x, False).argmax(1) == data.test.y).mean())
            flip = float((probs(model, data.test.x, True).argmax(1) == data.test.y).mean())
            print(f"PrivateTest {name}: {plain:.2%} plain, {flip:.2%} flip (model alone, no bias)")
            rows.append({"model": name, "private_plain": plain, "private_flip": flip})
    if args.json:
        with open(args.json, "a") as fh:
            for r in rows:
                fh.write(json.dumps({k: v for k, v in r.items() if not k.startswith("_")}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
