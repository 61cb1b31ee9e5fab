"""Where the app's crop sits against FER2013's framing (issue 22), measured, then what each measured framing
does to the emotion model on FER2013 PublicTest and on real photos (faces-crossdomain).

1. FER2013 PublicTest faces, enlarged ×3 and padded into a canvas three times their side (edge pixels
   repeated, and flat grey), go through BlazeFace. The true framing, the 48×48 picture, is known, so each
   detection gives: the picture's side over the detector's raw box (scale), the box's height over its width
   (squareness), the picture's centre below the box's centre (vertical offset, in picture sides), and where
   the eyes sit in a FER2013 picture (eye distance and eye height, in picture sides).
2. On the real photos, the same eye figures inside the app's crop: if the app framed real faces the FER2013
   way, the eyes would sit where they sit in FER2013 pictures. The scale and offset that put them there is
   the framing measured on real faces (the detector's box against the face's own landmarks).
3. Accuracy of the app's path (BlazeFace + crop + ONNX model, flip TTA) with each measured framing, on the
   PublicTest canvases and on faces-crossdomain. Selection uses these two only; PrivateTest is reported once,
   in docs/model.md.

Run: `python -m benchmarks framing` (a few minutes on a loaded 2-core machine; needs ../shared/datasets).
`EMOTUNE_FRAMING_N` caps the PublicTest faces (default all 3,589).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

N_PUBLIC = int(os.environ.get("EMOTUNE_FRAMING_N", "0"))
ENLARGE, CANVAS = 3, 3     # a 48 px picture becomes 144 px, centred in a 432 px canvas
GRID_SCALES, GRID_SHIFTS = (1.0, 1.07, 1.14, 1.22, 1.30), (-0.13, -0.08, -0.03)


@dataclass(frozen=True)
class Framing:
    name: str
    box_scale: float
    box_shift_y: float
    margin: float


def public_faces(n: int = N_PUBLIC) -> tuple[list[np.ndarray], np.ndarray]:
    """PublicTest pictures (gray 48×48) and their labels, in file order."""
    import cv2

    from benchmarks.detection_set import fer_dir
    from emotune.core.emotions import index_of

    files = sorted((fer_dir() / "test").glob("*/PublicTest_*"))
    if n:
        files = files[:: max(1, len(files) // n)][:n]
    return ([cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files],
            np.array([index_of(f.parent.name) for f in files]))


def canvas(face: np.ndarray, border: str) -> tuple[np.ndarray, float]:
    """The picture enlarged and centred in a larger BGR canvas; returns it and the picture's side in pixels."""
    import cv2

    side = face.shape[0] * ENLARGE
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    pad = side * (CANVAS - 1) // 2
    kind = cv2.BORDER_REPLICATE if border == "edge" else cv2.BORDER_CONSTANT
    out = cv2.copyMakeBorder(big, pad, pad, pad, pad, kind, value=128)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR), float(side)


def measure_fer(faces: list[np.ndarray], detector, border: str) -> dict[str, np.ndarray]:
    """Per detected picture: scale (picture side / raw box width), aspect (raw height / width), vertical
    offset (picture centre − box centre, in picture sides, + = down), eye distance and eye height (in picture
    sides, from the picture's top). Detections whose centre is off the picture are dropped."""
    rows = []
    for face in faces:
        image, side = canvas(face, border)
        found = detector.detect_faces(image)
        if not found:
            continue
        x0, y0, x1, y1 = found[0].raw
        c = image.shape[0] / 2
        if abs((x0 + x1) / 2 - c) > side / 2 or abs((y0 + y1) / 2 - c) > side / 2:
            continue
        (rx, ry), (lx, ly) = found[0].right_eye, found[0].left_eye
        rows.append((side / (x1 - x0), (y1 - y0) / (x1 - x0), (c - (y0 + y1) / 2) / side,
                     np.hypot(lx - rx, ly - ry) / side, ((ry + ly) / 2 - (c - side / 2)) / side))
    a = np.array(rows)
    return {"found": np.array(len(rows)), "scale": a[:, 0], "aspect": a[:, 1], "offset": a[:, 2],
            "eye_dist": a[:, 3], "eye_y": a[:, 4]}


def framing_from_fer(m: dict[str, np.ndarray], margin: float) -> tuple[float, float]:
    """BOX_SCALE and BOX_SHIFT_Y that make the crop (the square on the raw box's longer side, times the scale,
    plus the margin) the FER2013 picture: medians of the measurement."""
    longer = np.maximum(1.0, m["aspect"])                   # the longer side over the width
    scale = m["scale"] / longer / (1 + 2 * margin)           # picture side / (longer side × (1 + 2 margin))
    shift = m["offset"] * m["scale"] / longer / scale        # picture-centre offset in units of the square's side
    return float(np.median(scale)), float(np.median(shift))


def framing_from_eyes(out, fer_eye_dist: float, fer_eye_y: float, box_scale: float, box_shift_y: float,
                      margin: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    """The scale and shift that put real faces' eyes where FER2013's are, given the crops made with
    (box_scale, box_shift_y, margin); also each photo's eye distance and eye height in its crop."""
    dist, height, scales, shifts = [], [], [], []
    for box, eyes in zip(out.boxes, out.eyes):
        if box is None or eyes is None:
            continue
        (rx, ry), (lx, ly) = eyes
        crop = box.w * (1 + 2 * margin)
        top = box.y + box.h / 2 - crop / 2
        d, y = np.hypot(lx - rx, ly - ry), (ry + ly) / 2
        dist.append(d / crop)
        height.append((y - top) / crop)
        want = d / fer_eye_dist                                  # the crop side that gives FER's eye distance
        scales.append(box_scale * want / crop)
        want_top = y - fer_eye_y * want                          # ... and FER's eye height
        raw_side = box.w / box_scale
        raw_cy = box.y + box.h / 2 - box_shift_y * box.w
        shifts.append((want_top + want / 2 - raw_cy) / (raw_side * box_scale * want / crop))
    return float(np.median(scales)), float(np.median(shifts)), np.array(dist), np.array(height)


def framed_crops(raw_detector, image: np.ndarray, framings: Sequence[Framing], size: int) -> np.ndarray | None:
    """The first face `raw_detector` (BlazeFace with scale 1, shift 0) finds in a BGR image, cropped with every
    framing: (framings, size, size, 1) uint8; None when no face is found. One detection for all framings."""
    from emotune.inference.preprocessing import prepare_faces
    from emotune.vision.blazeface import frame_box

    found = raw_detector.detect_faces(image)
    if not found:
        return None
    return np.concatenate([prepare_faces(image, [frame_box(found[0].raw, found[0].box.roll, f.box_scale,
                                                             f.box_shift_y)], size, f.margin) for f in framings])


def reframed_predictions(items: Iterable[tuple[np.ndarray, int]], classifier, framings: list[Framing]
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Each (BGR image, label) through BlazeFace once, then cropped with every framing and classified (the
    card's temperature and logit bias applied): predictions (framings, n), -1 where no face was found, and
    the labels."""
    from emotune.vision.blazeface import BlazeFaceDetector

    raw = BlazeFaceDetector(box_scale=1.0, box_shift_y=0.0)
    preds, labels = [], []
    for image, y in items:
        labels.append(y)
        crops = framed_crops(raw, image, framings, classifier.input_size)
        preds.append([-1] * len(framings) if crops is None else classifier.predict_prepared(crops).argmax(1).tolist())
    return np.array(preds).T, np.array(labels)


def main() -> None:
    from benchmarks.crossdomain import by_set, load_photos, run_app_path
    from emotune.capture.sources import read_image
    from emotune.core.emotions import EMOTIONS
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier
    from emotune.vision.blazeface import BOX_SCALE, BOX_SHIFT_Y, BlazeFaceDetector

    classifier = OnnxEmotionClassifier()
    classifier.load()
    margin = classifier.margin
    faces, labels = public_faces()
    raw = BlazeFaceDetector(box_scale=1.0, box_shift_y=0.0)
    print(f"1. FER2013 PublicTest pictures ({len(faces)}) ×{ENLARGE} in a ×{CANVAS} canvas, BlazeFace's raw box "
          "(medians, 10th–90th percentile)")
    measured = {}
    for border in ("edge", "grey"):
        m = measure_fer(faces, raw, border)
        measured[border] = m
        q = {k: np.percentile(v, [50, 10, 90]) for k, v in m.items() if k != "found"}
        print(f"  {border:>4} border: found {int(m['found'])}/{len(faces)}; " + "; ".join(
            f"{k} {v[0]:.3f} ({v[1]:.3f}–{v[2]:.3f})" for k, v in q.items()))
        s, sh = framing_from_fer(m, margin)
        print(f"       => with margin {margin}: BOX_SCALE {s:.3f}, BOX_SHIFT_Y {sh:+.3f} (shipped: {BOX_SCALE}, "
              f"{BOX_SHIFT_Y:+.3f})")
    fer = measured["edge"]
    fer_scale, fer_shift = framing_from_fer(fer, margin)
    eye_d, eye_y = float(np.median(fer["eye_dist"])), float(np.median(fer["eye_y"]))

    photos = load_photos()
    out = run_app_path(photos, BlazeFaceDetector(), classifier)
    real_scale, real_shift, dist, height = framing_from_eyes(out, eye_d, eye_y, BOX_SCALE, BOX_SHIFT_Y, margin)
    print(f"\n2. Eyes in the crop (in crop sides): FER2013 pictures: distance {eye_d:.3f}, height {eye_y:.3f}; "
          f"the app's crops of {len(dist)} real photos: distance {np.median(dist):.3f} "
          f"({np.percentile(dist, 10):.3f}–{np.percentile(dist, 90):.3f}), height {np.median(height):.3f} "
          f"({np.percentile(height, 10):.3f}–{np.percentile(height, 90):.3f})")
    print(f"   => the framing that puts real eyes where FER2013's are: BOX_SCALE {real_scale:.3f}, "
          f"BOX_SHIFT_Y {real_shift:+.3f}")

    framings = [Framing("shipped", BOX_SCALE, BOX_SHIFT_Y, margin),
                Framing("FER2013 canvas fit", fer_scale, fer_shift, margin),
                Framing("real-eye fit", real_scale, real_shift, margin),
                Framing("halfway", (fer_scale + real_scale) / 2, (fer_shift + real_shift) / 2, margin)]
    framings += [Framing(f"check {s:.2f} {sh:+.2f}", s, sh, margin) for s in GRID_SCALES for sh in GRID_SHIFTS]
    print("\n3. The app's path with each framing (accuracy; no face = wrong); the 'check' rows are a grid around "
          "them, to see whether the measured framings sit near what the model likes")
    public, y_pub = reframed_predictions(((canvas(f, "edge")[0], y) for f, y in zip(faces, labels)), classifier,
                                         framings)
    cross, _ = reframed_predictions(((read_image(p.path), EMOTIONS.index(p.label)) for p in photos), classifier,
                                    framings)
    head = f"{'framing':<22}{'scale':>7}{'shift':>7}{'PublicTest':>12}{'cross acc':>11}{'london':>8}{'cmu':>7}" \
           f"{'yale':>7}{'neutral FA':>12}{'neutral rec':>13}"
    print(head)
    for i, f in enumerate(framings):
        rows = dict(by_set(photos, cross[i]))
        a = rows["all"]
        print(f"{f.name:<22}{f.box_scale:>7.3f}{f.box_shift_y:>+7.3f}{(public[i] == y_pub).mean():>12.3f}"
              f"{a.accuracy:>11.3f}{rows['london'].accuracy:>8.3f}{rows['cmu'].accuracy:>7.3f}"
              f"{rows['yale'].accuracy:>7.3f}{a.neutral_false_alarm:>12.1%}{a.neutral_recall:>13.3f}")


if __name__ == "__main__":
    main()
