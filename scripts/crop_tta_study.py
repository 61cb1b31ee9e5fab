"""Does a second framing help more than the mirror image as the second test-time view? (issue 22)

The app classifies each face twice, the crop and its mirror, and averages (flip TTA). The detector frames any
one face only roughly (docs/model.md, "Framing: measured": its box varies by −17 %/+28 % around FER2013's
framing), so a second view at another crop scale might average out the framing error where the mirror only
averages out left-right noise. At the same cost (two model calls a face) this study compares, on
faces-crossdomain and on FER2013 PublicTest pictures padded into a canvas (the framing benchmark's setup):

- the shipped pair: crop at the shipped framing + its mirror;
- crop at framing a + mirror at framing b, for every pair of the grid;
- for reference, four views (a and b, each with its mirror), twice the cost.

Probabilities are averaged as the app averages its TTA views, then the card's temperature and logit bias
applied. Selection may use these two sets only; PrivateTest is not touched.

Run: `PYTHONPATH=$PWD python scripts/crop_tta_study.py [--public N]` (about 10 minutes with all of PublicTest).
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCALES = (1.0, 1.07, 1.142, 1.22, 1.30)
SHIFTS = (-0.078, -0.03)
SHIPPED = (1.142, -0.078)


def views(items, classifier) -> np.ndarray:
    """Raw probabilities (n, framings, 2 [crop, mirror], 7) per BGR image, NaN where no face was found."""
    from benchmarks.bench_framing import Framing, framed_crops
    from emotune.vision.blazeface import BlazeFaceDetector

    raw = BlazeFaceDetector(box_scale=1.0, box_shift_y=0.0)
    grid = [Framing("", s, y, classifier.margin) for s, y in itertools.product(SCALES, SHIFTS)]
    out = []
    for image in items:
        crops = framed_crops(raw, image, grid, classifier.input_size)
        if crops is None:
            out.append(np.full((len(grid), 2, 7), np.nan))
            continue
        p = classifier.predict_prepared(np.concatenate([crops, crops[:, :, ::-1]]), calibrated=False)
        out.append(np.stack([p[: len(grid)], p[len(grid):]], axis=1))
    return np.array(out)


def predict(p: np.ndarray, classifier) -> np.ndarray:
    from emotune.inference.calibrated import calibrate

    pred = np.full(len(p), -1)
    ok = ~np.isnan(p[:, 0])
    pred[ok] = calibrate(p[ok], classifier.temperature, classifier.logit_bias).argmax(1)
    return pred


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--public", type=int, default=0, help="PublicTest pictures to use (0: all 3,435)")
    args = ap.parse_args()

    from benchmarks.bench_framing import canvas, public_faces
    from benchmarks.crossdomain import by_set, load_photos
    from emotune.capture.sources import read_image
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier

    clf = OnnxEmotionClassifier(tta=False)
    clf.load()
    grid = list(itertools.product(SCALES, SHIFTS))
    photos = load_photos()
    cross = views((read_image(p.path) for p in photos), clf)
    faces, y_pub = public_faces(args.public)
    public = views((canvas(f, "edge")[0] for f in faces), clf)

    def combos():
        ship = grid.index(SHIPPED)
        yield "shipped: crop + mirror", [(ship, 0), (ship, 1)]
        for a, b in itertools.permutations(range(len(grid)), 2):
            yield f"crop {grid[a]} + mirror {grid[b]}", [(a, 0), (b, 1)]
        for a, b in itertools.combinations(range(len(grid)), 2):
            if ship in (a, b):
                yield f"4 views: {grid[a]} and {grid[b]}, both mirrored", [(a, 0), (a, 1), (b, 0), (b, 1)]

    rows = []
    for name, picks in combos():
        pc = np.mean([cross[:, i, m] for i, m in picks], axis=0)
        pp = np.mean([public[:, i, m] for i, m in picks], axis=0)
        s = dict(by_set(photos, predict(pc, clf)))
        acc_pub = float(np.mean(predict(pp, clf) == y_pub))
        rows.append((name, acc_pub, s["all"], {k: v.accuracy for k, v in s.items() if k != "all"}))
    ship = rows[0]
    print(f"{len(photos)} real photos, {len(faces)} PublicTest pictures in edge-padded canvases; "
          "framing = (scale, shift)")
    print(f"{'views':<58}{'PublicTest':>11}{'cross':>7}{'->neutral':>10}{'neu rec':>9}  by source")
    for name, acc_pub, a, per in sorted(rows, key=lambda r: -(r[1] + r[2].accuracy)):
        mark = "*" if (acc_pub, a.accuracy) == (ship[1], ship[2].accuracy) and name == ship[0] else " "
        print(f"{mark}{name:<57}{acc_pub:>11.2%}{a.accuracy:>7.3f}{a.neutral_false_alarm:>10.1%}"
              f"{a.neutral_recall:>9.3f}  " + " ".join(f"{k} {v:.3f}" for k, v in per.items()))


if __name__ == "__main__":
    main()
