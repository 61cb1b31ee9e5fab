"""The learning curve of a training run as data (CSV: epoch, loss, accuracies, seconds, load) and as a small
plot (PNG), so a campaign that spans sessions shows where it stands. Drawn with OpenCV, which training
already needs, rather than adding a plotting library for one picture."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "ema_val_accuracy", "seconds", "load_average")


def write_csv(history: Sequence[dict], path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(history)


def plot(history: Sequence[dict], path: Path, title: str, total_epochs: int, target: float | None = None) -> None:
    """Train and PublicTest accuracy per epoch on a fixed x axis of `total_epochs` (the planned schedule),
    with the target as a dashed line, so the plot also shows how much of the campaign is left."""
    w, h, left, right, top, bottom = 900, 480, 70, 20, 50, 50
    img = np.full((h, w, 3), 255, np.uint8)
    lo, hi = 0.2, 0.8

    def xy(epoch: float, acc: float) -> tuple[int, int]:
        x = left + (w - left - right) * epoch / max(1, total_epochs)
        y = top + (h - top - bottom) * (hi - min(max(acc, lo), hi)) / (hi - lo)
        return int(round(x)), int(round(y))

    font = cv2.FONT_HERSHEY_SIMPLEX
    for k in range(7):
        acc = lo + k * 0.1
        y = xy(0, acc)[1]
        cv2.line(img, (left, y), (w - right, y), (225, 225, 225), 1)
        cv2.putText(img, f"{acc:.0%}", (12, y + 5), font, 0.45, (90, 90, 90), 1, cv2.LINE_AA)
    step = max(1, total_epochs // 10)
    for e in range(0, total_epochs + 1, step):
        x = xy(e, lo)[0]
        cv2.line(img, (x, h - bottom), (x, h - bottom + 5), (90, 90, 90), 1)
        cv2.putText(img, str(e), (x - 8, h - bottom + 20), font, 0.45, (90, 90, 90), 1, cv2.LINE_AA)
    cv2.rectangle(img, (left, top), (w - right, h - bottom), (150, 150, 150), 1)
    if target is not None:
        y = xy(0, target)[1]
        for x0 in range(left, w - right, 14):
            cv2.line(img, (x0, y), (min(x0 + 7, w - right), y), (40, 40, 200), 1)
        cv2.putText(img, f"target {target:.0%}", (w - right - 120, y - 6), font, 0.45, (40, 40, 200), 1, cv2.LINE_AA)
    for key, colour, label in (("accuracy", (160, 160, 160), "train (augmented)"),
                               ("val_accuracy", (200, 110, 20), "PublicTest"),
                               ("ema_val_accuracy", (60, 160, 60), "PublicTest, weight average")):
        pts = np.array([xy(r["epoch"], r[key]) for r in history if key in r], np.int32)
        if len(pts):
            cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, colour, 2, cv2.LINE_AA)
            for p in pts:
                cv2.circle(img, tuple(int(v) for v in p), 2, colour, -1, cv2.LINE_AA)
    cv2.putText(img, title, (left, 30), font, 0.6, (30, 30, 30), 1, cv2.LINE_AA)
    cv2.putText(img, "epoch", (w // 2 - 20, h - 10), font, 0.45, (90, 90, 90), 1, cv2.LINE_AA)
    cv2.putText(img, "train (augmented)", (left + 10, top + 20), font, 0.45, (160, 160, 160), 1, cv2.LINE_AA)
    cv2.putText(img, "PublicTest", (left + 10, top + 40), font, 0.45, (200, 110, 20), 1, cv2.LINE_AA)
    if any("ema_val_accuracy" in r for r in history):
        cv2.putText(img, "PublicTest, weight average (EMA)", (left + 10, top + 60), font, 0.45, (60, 160, 60), 1,
                    cv2.LINE_AA)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {path}")
