"""faces-crossdomain through the app's own path (benchmarks/crossdomain.py, `python -m benchmarks realfaces`):
the set is read from ../shared and skipped with a clear message when absent, the figures mean what they say,
and the path is the app's: the same probabilities as the classifier's `classify` on the detector's box."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.crossdomain import LABELS, Photo, by_set, calibrated_predictions, crossdomain_dir, load_photos, \
    run_app_path, score
from emotune.capture.sources import read_image
from emotune.core.emotions import EMOTIONS
from emotune.inference.calibrated import calibrate
from emotune.inference.onnx_classifier import OnnxEmotionClassifier
from emotune.vision.factory import default_detector


@pytest.fixture(scope="module")
def photos() -> list[Photo]:
    root = crossdomain_dir()
    if not (root / "labels.csv").is_file():
        pytest.skip(f"faces-crossdomain not found at {root}: set EMOTUNE_SHARED to the folder holding datasets/")
    every = load_photos(root)
    picked, seen = [], {}
    for p in every:   # the first 3 photos of each set and label: 27 photos of every kind the set has
        key = (p.set, p.label)
        if seen.get(key, 0) < 3:
            seen[key] = seen.get(key, 0) + 1
            picked.append(p)
    return picked


def test_an_absent_set_says_where_it_was_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"faces-crossdomain not found: no {tmp_path}/labels.csv"):
        load_photos(tmp_path)


def test_figures_count_missed_faces_as_wrong_and_neutral_false_alarms_over_non_neutral_faces():
    labels = ["angry", "angry", "sad", "neutral", "neutral", "happy"]
    said = [EMOTIONS.index(e) for e in ("neutral", "angry", "neutral", "neutral", "happy")] + [-1]
    s = score(labels, np.array(said))
    assert (s.n, s.found) == (6, 5)
    assert s.accuracy == pytest.approx(2 / 6) and s.accuracy_found == pytest.approx(2 / 5)
    assert s.neutral_false_alarm == pytest.approx(2 / 3)        # angry and sad called neutral; happy not found
    assert s.neutral_recall == pytest.approx(0.5) and s.recall["angry"] == pytest.approx(0.5)
    assert s.confusion.shape == (len(LABELS), len(EMOTIONS)) and s.confusion.sum() == 5


def test_the_benchmark_runs_the_apps_own_path(photos):
    """The benchmark's probabilities, once calibrated, are what the app's classifier says for the same box."""
    detector, clf = default_detector(), OnnxEmotionClassifier()
    out = run_app_path(photos, detector, clf)
    for i in (0, len(photos) // 2, len(photos) - 1):
        image = read_image(photos[i].path)
        boxes = detector.detect(image)
        assert boxes[0] == out.boxes[i]
        np.testing.assert_allclose(clf.classify(image, boxes[:1])[0],
                                   calibrate(out.probs[i:i + 1], clf.temperature, clf.logit_bias)[0], atol=1e-5)
    rows = dict(by_set(photos, calibrated_predictions(out, clf)))
    assert set(rows) == {"cmu", "london", "yale", "all"}
    assert rows["all"].found == len(photos) and rows["all"].n == len(photos)

