"""Real faces through the app's own path (issue 22): faces-crossdomain's 580 photos of 137 people
(benchmarks/crossdomain.py), BlazeFace + the app's crop + the shipped ONNX classifier with flip TTA, scored
per set and per emotion: accuracy, recall, the share of non-neutral faces called neutral, neutral recall, the
confusion matrix and the photos where no face was found. Shown with the card's logit bias (what the app does)
and without it (the model alone), side by side.

Run: `python -m benchmarks realfaces` (under a minute; needs ../shared/datasets/faces-crossdomain).
"""
from __future__ import annotations

import os
import time

import numpy as np


def main() -> None:
    from benchmarks.crossdomain import by_set, calibrated_predictions, format_confusion, format_table, \
        load_photos, run_app_path
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier
    from emotune.vision.factory import default_detector

    photos = load_photos()
    detector = default_detector()
    classifier = OnnxEmotionClassifier()
    classifier.load()
    t0, c0 = time.perf_counter(), time.process_time()
    out = run_app_path(photos, detector, classifier)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"faces-crossdomain: {len(photos)} photos, {len({p.person for p in photos})} people; detector "
          f"{detector.name}, classifier margin {classifier.margin}, TTA {classifier.tta}, "
          f"T={classifier.temperature:.3f}; {1000 * wall / len(photos):.1f} ms ({1000 * cpu / len(photos):.1f} "
          f"CPU ms) a photo, reading included; load average {os.getloadavg()[0]:.1f}")
    bias = classifier.logit_bias
    runs = [("with the card's logit bias (the app)", None)] if bias.any() else []
    runs.append(("without logit bias (the model alone)", np.zeros_like(bias)))
    for title, override in runs:
        pred = calibrated_predictions(out, classifier, override)
        rows = by_set(photos, pred)
        print(f"\n{title}" + (f": bias {np.round(bias, 3).tolist()}" if override is None else ""))
        print(format_table(rows))
        print("confusion matrix, all sets (rows: true label, columns: what the app said; faces found):")
        print(format_confusion(rows[-1][1].confusion))
    missing = [p.path.name for p, ok in zip(photos, out.found) if not ok]
    print(f"\nno face found in {len(missing)} photos: {', '.join(missing[:20])}{' …' if len(missing) > 20 else ''}")
    print("issue 22 targets on this set: non-neutral called neutral <= 20 %, neutral recall >= 0.85, "
          "accuracy >= 0.65")


if __name__ == "__main__":
    main()
