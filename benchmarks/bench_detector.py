"""Face detectors side by side on the committed detection set (benchmarks/detection_set.py): recall overall, by
background and by roll, false boxes, ms per 640×480 frame; then the share of frames with a face in a 60 s video
of frontal faces drifting over a plain grey wall (what made the old window say "Looking for a face…").
Rows: the Haar cascade as it shipped (whole-frame equalisation), the Haar fallback as it is now (no
equalisation), and BlazeFace short-range through ONNX Runtime (the default). Time per frame is given as wall
time and as process CPU time (what the frame costs the machine; robust to other jobs on a shared one).
Then the framing fit that BlazeFace's box mapping uses, and the emotion model's accuracy on the faces each
detector found, with and without levelling the eyes.

Run: `python -m benchmarks detector` (about two minutes; needs ../shared/datasets/fer2013).
"""
from __future__ import annotations

import os
import statistics
import time

import numpy as np

from benchmarks.detection_set import Truth, fer_dir, load_set, match

VIDEO_SECONDS, VIDEO_FPS, VIDEO_STEP = 60, 30, 3   # every 3rd frame of the video is detected (600 frames)


def detectors() -> list[tuple[str, object]]:
    from emotune.vision.blazeface import BlazeFaceDetector
    from emotune.vision.detection import HaarFaceDetector

    return [("Haar, whole-frame equalizeHist (old default)", HaarFaceDetector(equalize=True)),
            ("Haar, no equalisation (the fallback now)", HaarFaceDetector()),
            ("BlazeFace short-range, ONNX (default now)", BlazeFaceDetector())]


def drifting_video(fer, seconds: int = VIDEO_SECONDS, fps: int = VIDEO_FPS):
    """Frames of a webcam-like video: one real frontal face (~180 px, a new person every 5 s) drifting slowly
    over a plain grey wall with sensor noise. Yields (frame, truth)."""
    import cv2

    files = sorted((fer / "test" / "neutral").glob("PrivateTest_*"))[:6] + \
        sorted((fer / "test" / "happy").glob("PrivateTest_*"))[:6]
    faces = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in files]
    rng = np.random.default_rng(7)
    wall = np.clip(np.full((480, 640), 128, np.float32) + rng.normal(0, 2, (480, 640)), 0, 255).astype(np.uint8)
    side = 180
    for i in range(seconds * fps):
        t = i / fps
        face = cv2.resize(faces[int(t // 5) % len(faces)], (side, side), interpolation=cv2.INTER_CUBIC)
        cx = 320 + 150 * np.sin(2 * np.pi * t / 23.0)
        cy = 240 + 70 * np.sin(2 * np.pi * t / 17.0)
        frame = wall.copy()
        x0, y0 = int(cx - side / 2), int(cy - side / 2)
        frame[y0:y0 + side, x0:x0 + side] = face
        yield cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), Truth(x0 + side / 2, y0 + side / 2, side, 0.0, "")


def score(det, frames) -> dict:
    found_by_kind: dict[str, list[int]] = {}
    by_roll = {"|roll| <= 10": [0, 0], "10-20": [0, 0], "20-30": [0, 0]}
    false, times, cpu, hits = 0, [], [], []
    for kind, frame, truths in frames:
        t0, c0 = time.perf_counter(), time.process_time()
        boxes = det.detect(frame)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        found, extra = match(boxes, truths)
        false += extra
        stats = found_by_kind.setdefault(kind, [0, 0])
        for t, f in zip(truths, found):
            stats[0] += f is not None
            stats[1] += 1
            bucket = "|roll| <= 10" if abs(t.roll) <= 10 else "10-20" if abs(t.roll) <= 20 else "20-30"
            by_roll[bucket][0] += f is not None
            by_roll[bucket][1] += 1
            if f is not None:
                hits.append((frame, t, boxes[f]))
    total = [sum(v[0] for v in found_by_kind.values()), sum(v[1] for v in found_by_kind.values())]
    return {"recall": total[0] / total[1], "found": total, "by_kind": found_by_kind, "by_roll": by_roll,
            "false": false, "ms": statistics.median(times), "cpu_ms": statistics.mean(cpu), "hits": hits}


def video_share(det, fer) -> tuple[float, int]:
    n = with_face = 0
    for i, (frame, truth) in enumerate(drifting_video(fer)):
        if i % VIDEO_STEP:
            continue
        found, _ = match(det.detect(frame), [truth])
        n += 1
        with_face += found[0] is not None
    return with_face / n, n


def framing_fit(hits, margin: float) -> tuple[float, float]:
    """The box scale and downward shift (in box sides) that turn a detector's raw box into the square whose
    margin-grown crop is the pasted FER picture, i.e. the framing the emotion model was trained on."""
    scales = [t.side / (1 + 2 * margin) / b.w for _, t, b in hits]
    s = float(np.median(scales))
    shifts = [(t.cy - (b.y + b.h / 2)) / (b.w * s) for _, t, b in hits]
    return s, float(np.median(shifts))


def emotion_accuracy(clf, hits, level: bool) -> float:
    """Share of found faces whose emotion the classifier gets right from the detector's box, levelled by the
    eye line's roll (BlazeFace's keypoints) when `level`."""
    import dataclasses

    from emotune.core.emotions import EMOTIONS

    right = n = 0
    for frame, t, box in hits:
        if not t.label:
            continue
        probs = clf.classify(frame, [box if level else dataclasses.replace(box, roll=0.0)])
        right += EMOTIONS[int(probs[0].argmax())] == t.label
        n += 1
    return right / n if n else float("nan")


def main() -> None:
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier
    from emotune.vision.blazeface import BlazeFaceDetector

    fer = fer_dir()
    frames = load_set(fer)
    n_faces = sum(len(t) for _, _, t in frames)
    n_empty = sum(1 for _, _, t in frames if not t)
    rows = []
    for name, det in detectors():
        det.load()
        det.detect(frames[0][1])
        r = score(det, frames)
        r["video"], r["video_n"] = video_share(det, fer)
        rows.append((name, det, r))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"detection set: {len(frames)} frames 640×480 ({n_empty} without faces), {n_faces} faces; "
          f"load average {load}")
    kinds = list(rows[0][2]["by_kind"])
    header = f"{'detector':<46} {'recall':>7} " + " ".join(f"{k:>7}" for k in kinds) + \
        f" {'roll<=10':>8} {'10-20':>6} {'20-30':>6} {'false':>6} {'ms/frame':>8} {'CPU ms':>6} {'video':>6}"
    print(header)
    print("-" * len(header))
    for name, _, r in rows:
        kind_cols = " ".join(f"{v[0] / v[1]:>7.0%}" for v in r["by_kind"].values())
        roll_cols = " ".join(f"{v[0] / v[1]:>{w}.0%}" for v, w in zip(r["by_roll"].values(), (8, 6, 6)))
        print(f"{name:<46} {r['recall']:>7.1%} {kind_cols} {roll_cols} {r['false']:>6} {r['ms']:>8.1f} "
              f"{r['cpu_ms']:>6.1f} {r['video']:>6.0%}")
    print(f"recall: true faces found; false: boxes on no face (whole set); ms/frame: median wall time per 640×480 "
          f"frame; CPU ms: mean process CPU time per frame; "
          f"video: share of {rows[0][2]['video_n']} frames of the {VIDEO_SECONDS} s drifting-face video with the "
          "face found")

    clf = OnnxEmotionClassifier()
    clf.load()
    raw = BlazeFaceDetector(box_scale=1.0, box_shift_y=0.0)
    scale, shift = framing_fit(score(raw, frames)["hits"], clf.margin)
    print(f"\nBlazeFace framing fit (raw box -> emotion-model square): scale {scale:.3f}, shift {shift:+.3f} of the "
          f"side downwards (emotune/vision/blazeface.py BOX_SCALE, BOX_SHIFT_Y)")
    print("emotion accuracy on the faces each detector found (FER labels; 7 classes):")
    truth_hits = [(f, t, _truth_box(t, clf.margin)) for _, f, ts in frames for t in ts]
    print(f"  {'true box, all faces':<58} {emotion_accuracy(clf, truth_hits, False):.1%} not levelled, "
          f"{emotion_accuracy(clf, truth_hits, True):.1%} levelled by the true roll")
    for name, det, r in rows:
        blaze = hasattr(det, "detect_faces")
        truth_on_hits = [(f, t, _truth_box(t, clf.margin)) for f, t, _ in r["hits"]]
        print(f"  {name:<58} {emotion_accuracy(clf, r['hits'], False):.1%}"
              + (f" not levelled, {emotion_accuracy(clf, r['hits'], True):.1%} eyes levelled" if blaze else "")
              + f" (true box on the same faces: {emotion_accuracy(clf, truth_on_hits, False):.1%})")


def _truth_box(t: Truth, margin: float):
    """The square whose margin-grown crop is the pasted picture, with the picture's roll (image clockwise)."""
    from emotune.core.types import Box

    s = t.side / (1 + 2 * margin)
    return Box(int(round(t.cx - s / 2)), int(round(t.cy - s / 2)), int(round(s)), int(round(s)), -t.roll)


if __name__ == "__main__":
    main()
