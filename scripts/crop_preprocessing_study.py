"""A/B of crop preprocessing that might bring a sharp, large real face closer to FER2013's small, soft web
pictures (issue 22): the app's crop shrunk straight to the model's input (what ships), via FER2013's 48 px,
blurred at 48 px or before shrinking, and with histogram equalisation / CLAHE. Scored on faces-crossdomain
through BlazeFace and the shipped classifier (its card: TTA, temperature, logit bias). PublicTest is not
affected by these (its pictures are already 48 px and soft), so only the cross-domain figures decide.

Run: `PYTHONPATH=$PWD python scripts/crop_preprocessing_study.py` (about a minute).
"""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def variants(gray: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Each way of turning a large gray face crop into the model's input."""
    def down(img: np.ndarray) -> np.ndarray:
        return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)

    at48 = cv2.resize(gray, (48, 48), interpolation=cv2.INTER_AREA)
    out = {"straight (shipped)": down(gray), "via 48 px": down(at48)}
    for sigma in (0.5, 0.8, 1.2):
        out[f"blur at 48 px, sigma {sigma}"] = down(cv2.GaussianBlur(at48, (0, 0), sigma))
    for sigma in (1.5, 3.0):
        out[f"blur before, sigma {sigma}/160"] = down(cv2.GaussianBlur(gray, (0, 0), sigma * gray.shape[0] / 160))
    out["equalizeHist"] = down(cv2.equalizeHist(gray))
    out["CLAHE 2.0, 4x4"] = down(cv2.createCLAHE(2.0, (4, 4)).apply(gray))
    return out


def main() -> None:
    from benchmarks.crossdomain import by_set, load_photos
    from emotune.capture.sources import read_image
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier
    from emotune.inference.preprocessing import prepare_faces
    from emotune.vision.factory import default_detector

    clf = OnnxEmotionClassifier()
    clf.load()
    detector = default_detector()
    photos = load_photos()
    names: list[str] = []
    preds: list[np.ndarray | None] = []
    for photo in photos:
        image = read_image(photo.path)
        boxes = detector.detect(image)
        if not boxes:
            preds.append(None)
            continue
        big = prepare_faces(image, boxes[:1], 160, clf.margin)[0, :, :, 0]
        v = variants(big, clf.input_size)
        names = list(v)
        preds.append(clf.predict_prepared(np.stack(list(v.values()))[:, :, :, None]).argmax(1))
    print(f"{'crop preprocessing':<32}{'acc':>7}{'non-neutral called neutral':>28}{'neutral rec':>13}  recall")
    for i, name in enumerate(names):
        a = dict(by_set(photos, np.array([-1 if p is None else p[i] for p in preds])))["all"]
        print(f"{name:<32}{a.accuracy:>7.3f}{a.neutral_false_alarm:>28.1%}{a.neutral_recall:>13.3f}  "
              + " ".join(f"{k} {r:.2f}" for k, r in a.recall.items()))


if __name__ == "__main__":
    main()
