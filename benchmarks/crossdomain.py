"""faces-crossdomain (../shared/datasets/faces-crossdomain: 580 real photos of 137 people, five of our seven
emotions; SOURCES.md there) through the app's own path, and the figures the real-faces work is judged by.

The app's path is the app's own objects, not a copy: a photo is read with `read_image`, faces are found by
`default_detector()` (BlazeFace, the Haar cascade only if its model is broken), the largest face is cropped and
classified by `OnnxEmotionClassifier.classify` (the card's margin, flip TTA, temperature and logit bias).
The photos are read from ../shared and never committed.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from emotune.core.emotions import EMOTIONS, N_EMOTIONS

REPO = Path(__file__).resolve().parents[1]
NEUTRAL = EMOTIONS.index("neutral")
LABELS = ("angry", "happy", "sad", "surprise", "neutral")   # the five emotions the set has (no fear, disgust)


def crossdomain_dir() -> Path:
    """Where the set lives: $EMOTUNE_SHARED/datasets/faces-crossdomain, by default beside the repository."""
    shared = Path(os.environ.get("EMOTUNE_SHARED", REPO.parent / "shared"))
    return shared / "datasets" / "faces-crossdomain"


@dataclass(frozen=True)
class Photo:
    path: Path
    label: str
    set: str
    person: str
    pose: str


def load_photos(root: Path | None = None) -> list[Photo]:
    """Every photo of labels.csv; FileNotFoundError naming the folder when the set is absent."""
    root = root or crossdomain_dir()
    table = root / "labels.csv"
    if not table.is_file():
        raise FileNotFoundError(f"faces-crossdomain not found: no {table} (put the set in ../shared/datasets or "
                                "point EMOTUNE_SHARED at the folder holding datasets/)")
    with open(table, newline="") as fh:
        return [Photo(root / r["path"], r["label"], r["set"], r["person"], r["pose"]) for r in csv.DictReader(fh)]


@dataclass(frozen=True)
class AppOutput:
    """What the app's path made of each photo: the largest face's raw probabilities (NaN where no face was
    found), its box, and the detector's eye keypoints where it gives them."""

    probs: np.ndarray            # (n, 7), before the card's temperature and logit bias
    boxes: list                  # Box or None per photo
    eyes: list                   # ((rx, ry), (lx, ly)) or None per photo

    @property
    def found(self) -> np.ndarray:
        return ~np.isnan(self.probs[:, 0])


def run_app_path(photos: Sequence[Photo], detector, classifier) -> AppOutput:
    """Each photo through the app's detector and classifier (both already built; see the module docstring).
    The probabilities are the model's with TTA but without calibration, so a bias can be fitted on them;
    `calibrated_predictions` applies the classifier's own."""
    from emotune.capture.sources import read_image
    from emotune.inference.preprocessing import prepare_faces

    classifier.load()
    probs = np.full((len(photos), N_EMOTIONS), np.nan)
    boxes, eyes = [], []
    for i, photo in enumerate(photos):
        image = read_image(photo.path)
        faces = detector.detect_faces(image) if hasattr(detector, "detect_faces") else None
        found = [f.box for f in faces] if faces is not None else detector.detect(image)
        if not found:
            boxes.append(None)
            eyes.append(None)
            continue
        crop = prepare_faces(image, found[:1], classifier.input_size, classifier.margin)
        probs[i] = classifier.predict_prepared(crop, calibrated=False)[0]
        boxes.append(found[0])
        eyes.append((faces[0].right_eye, faces[0].left_eye) if faces else None)
    return AppOutput(probs, boxes, eyes)


def calibrated_predictions(out: AppOutput, classifier, logit_bias: Sequence[float] | None = None) -> np.ndarray:
    """Predicted class per photo (-1 where no face was found) after the classifier's temperature and its
    logit bias (or `logit_bias` when given)."""
    from emotune.inference.calibrated import calibrate

    bias = classifier.logit_bias if logit_bias is None else logit_bias
    pred = np.full(len(out.probs), -1)
    ok = out.found
    if ok.any():
        pred[ok] = calibrate(out.probs[ok], classifier.temperature, bias).argmax(1)
    return pred


@dataclass(frozen=True)
class Scores:
    """The figures issue 22 asks for, over `n` photos (`found` with a face). Accuracy counts a photo without
    a face as wrong; `accuracy_found` is over the faces found."""

    n: int
    found: int
    accuracy: float
    accuracy_found: float
    recall: dict[str, float]          # per label, over faces found
    neutral_false_alarm: float        # share of non-neutral faces found that were called neutral
    neutral_recall: float
    confusion: np.ndarray             # rows LABELS, columns the seven EMOTIONS, faces found only


def score(labels: Sequence[str], pred: np.ndarray) -> Scores:
    y = np.array([EMOTIONS.index(lab) for lab in labels])
    pred = np.asarray(pred)
    ok = pred >= 0
    cm = np.zeros((len(LABELS), N_EMOTIONS), int)
    for t, p in zip(y[ok], pred[ok]):
        cm[LABELS.index(EMOTIONS[t]), p] += 1
    recall = {lab: float(cm[i, EMOTIONS.index(lab)] / cm[i].sum()) if cm[i].sum() else float("nan")
              for i, lab in enumerate(LABELS)}
    others = ok & (y != NEUTRAL)
    return Scores(
        n=len(y), found=int(ok.sum()), accuracy=float((pred == y).mean()) if len(y) else float("nan"),
        accuracy_found=float((pred[ok] == y[ok]).mean()) if ok.any() else float("nan"), recall=recall,
        neutral_false_alarm=float((pred[others] == NEUTRAL).mean()) if others.any() else float("nan"),
        neutral_recall=recall["neutral"], confusion=cm)


def format_confusion(cm: np.ndarray) -> str:
    corner = "true \\ said"
    lines = [f"{corner:<12}" + "".join(f"{e[:8]:>9}" for e in EMOTIONS)]
    lines += [f"{lab:<12}" + "".join(f"{v:9d}" for v in row) for lab, row in zip(LABELS, cm)]
    return "\n".join(lines)


def format_table(rows: Sequence[tuple[str, Scores]]) -> str:
    """One line per row name: photos, faces found, accuracy, per-label recall, neutral false alarms."""
    head = (f"{'':<22}{'photos':>7}{'found':>7}{'acc':>7}{'acc*':>7}" + "".join(f"{lab[:7]:>9}" for lab in LABELS)
            + f"{'non-neutral called neutral':>28}")
    lines = [head, "-" * len(head)]
    for name, s in rows:
        rec = "".join(f"{s.recall[lab]:>9.2f}" if not np.isnan(s.recall[lab]) else f"{'-':>9}" for lab in LABELS)
        nfa = f"{s.neutral_false_alarm:.1%}" if not np.isnan(s.neutral_false_alarm) else "-"
        lines.append(f"{name:<22}{s.n:>7}{s.found:>7}{s.accuracy:>7.3f}{s.accuracy_found:>7.3f}{rec}{nfa:>28}")
    lines.append("acc: right / photos (no face found counts as wrong); acc*: right / faces found; "
                 "recall columns over faces found")
    return "\n".join(lines)


def by_set(photos: Sequence[Photo], pred: np.ndarray) -> list[tuple[str, Scores]]:
    """Scores for every set and for all photos together."""
    rows = []
    for name in sorted({p.set for p in photos}):
        idx = [i for i, p in enumerate(photos) if p.set == name]
        rows.append((name, score([photos[i].label for i in idx], pred[idx])))
    rows.append(("all", score([p.label for p in photos], pred)))
    return rows
