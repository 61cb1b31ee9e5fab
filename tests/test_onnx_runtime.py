"""The app's emotion model runs through ONNX Runtime, without TensorFlow: the ONNX export agrees with the Keras
model it came from, it is exported for whatever model training makes (input size, margin and temperature come
from the card), broken or missing files say what to do, and the window's self-test never imports TensorFlow."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import with_prompt_state
from emotune.core.emotions import EMOTIONS
from emotune.core.types import Box
from emotune.inference.classifier import EmotionClassifier, ModelUnavailable
from emotune.inference.onnx_classifier import OnnxEmotionClassifier, file_sha256
from emotune.inference.preprocessing import prepare_face
from emotune.resources import model_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def onnx_clf() -> OnnxEmotionClassifier:
    c = OnnxEmotionClassifier()
    c.load()
    return c


def test_onnx_and_keras_paths_agree_on_500_faces(onnx_clf, fer_dir):
    from emotune.inference.keras_classifier import KerasEmotionClassifier

    files = sorted((fer_dir / "test").glob("*/PrivateTest_*"))[::7][:500]
    faces = np.stack([prepare_face(cv2.imread(str(p)), None, onnx_clf.input_size) for p in files])
    keras_clf = KerasEmotionClassifier()
    keras_clf.load()
    assert len(faces) == 500 and keras_clf.tta == onnx_clf.tta
    gap = np.abs(keras_clf.predict_prepared(faces) - onnx_clf.predict_prepared(faces)).max()
    assert gap <= 1e-4
    assert isinstance(onnx_clf, EmotionClassifier)
    assert onnx_clf.tta and onnx_clf.temperature == pytest.approx(keras_clf.temperature)


def test_shipped_onnx_was_exported_from_the_shipped_keras():
    """A retrained .keras must ship with its own export: `emotune eval --data DIR --update-card` writes it."""
    card = json.loads(model_path("emotion_cnn.json").read_text())
    assert card["onnx"]["file"] == "emotion_cnn.onnx"
    assert card["onnx"]["keras_sha256"] == file_sha256(model_path("emotion_cnn.keras")), \
        "models/emotion_cnn.onnx is stale: run `emotune eval --data ../shared/datasets/fer2013 --update-card`"
    assert card["onnx"]["max_abs_prob_diff_vs_keras"] <= 1e-4


def test_onnx_classifier_classifies_boxes_in_a_frame(onnx_clf):
    frame = np.full((480, 640, 3), 120, np.uint8)
    assert onnx_clf.classify(frame, []).shape == (0, 7)
    probs = onnx_clf.classify(frame, [Box(10, 10, 100, 100), Box(300, 200, 50, 60), Box(200, 100, 80, 80, 20.0)])
    assert probs.shape == (3, 7) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(probs[0], probs[1], atol=1e-4) and np.allclose(probs[0], probs[2], atol=1e-4)
    assert onnx_clf.ms_per_face > 0


def test_export_follows_the_model_and_the_runtime_follows_the_card(tmp_path):
    """Whatever training makes (here a 40-pixel model, margin 0.1, temperature 2) is exported and run as its
    card says."""
    import keras

    from emotune.inference.model_card import write_card
    from emotune.training.export import export_onnx

    model = keras.Sequential([keras.Input((40, 40, 1)), keras.layers.Rescaling(1 / 255.0),
                              keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(7, activation="softmax")], name="tiny40")
    path = tmp_path / "other.keras"
    model.save(path)
    faces = np.random.default_rng(0).integers(0, 256, (64, 40, 40, 1)).astype(np.uint8)
    section = export_onnx(path, faces)
    assert (tmp_path / "other.onnx").is_file() and section["max_abs_prob_diff_vs_keras"] <= 1e-4
    write_card(tmp_path / "other.json", {"input_size": 40, "margin": 0.1, "temperature": 2.0, "tta": "flip",
                                         "onnx": section})
    clf = OnnxEmotionClassifier(tmp_path / "other.onnx")
    clf.load()
    assert (clf.input_size, clf.margin, clf.temperature, clf.tta) == (40, 0.1, 2.0, True)
    raw = np.asarray(model(faces.astype(np.float32)))
    tta = (raw + np.asarray(model(faces[:, :, ::-1].astype(np.float32)))) / 2
    calibrated = np.exp(np.log(tta) / 2.0)
    np.testing.assert_allclose(clf.predict_prepared(faces), calibrated / calibrated.sum(1, keepdims=True), atol=1e-4)


def test_only_a_card_that_claims_another_input_size_is_warned_about(tmp_path, caplog):
    """A model read without a card (a teacher, an export's check) takes its own input size silently; a card
    that names another size is worth a warning."""
    import logging
    import shutil

    caplog.set_level(logging.WARNING, logger="emotune.inference.calibrated")
    cardless = OnnxEmotionClassifier(model_path("emotion_cnn.onnx"), card_path=False, tta=False)
    cardless.load()
    assert cardless.input_size == 40 and "card says input" not in caplog.text
    onnx = shutil.copy(model_path("emotion_cnn.onnx"), tmp_path / "m.onnx")
    card = json.loads(model_path("emotion_cnn.json").read_text())
    (tmp_path / "m.json").write_text(json.dumps({**card, "input_size": 48}))
    claimed = OnnxEmotionClassifier(onnx, tta=False)
    claimed.load()
    assert claimed.input_size == 40 and "card says input 48, model takes 40" in caplog.text


def test_missing_onnx_model_says_what_to_do(tmp_path):
    with pytest.raises(ModelUnavailable, match="missing.*emotune train"):
        OnnxEmotionClassifier(tmp_path / "nope.onnx").load()


def test_corrupt_onnx_model_says_so(tmp_path):
    bad = tmp_path / "emotion_cnn.onnx"
    bad.write_bytes(b"not an onnx file")
    with pytest.raises(ModelUnavailable, match="corrupt or not an ONNX model"):
        OnnxEmotionClassifier(bad).classify_crops([np.zeros((48, 48), np.uint8)])


def test_wrong_card_is_refused(tmp_path):
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"classes": ["happy", "sad"]}))
    with pytest.raises(ModelUnavailable, match="classes"):
        OnnxEmotionClassifier(model_path("emotion_cnn.onnx"), card).load()


def test_a_keras_model_without_keras_installed_says_what_to_install(tmp_path):
    script = ("import sys; sys.modules['keras'] = None\n"
              "from emotune.inference.keras_classifier import KerasEmotionClassifier\n"
              "from emotune.inference.classifier import ModelUnavailable\n"
              "try:\n    KerasEmotionClassifier().load()\nexcept ModelUnavailable as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert "pip install 'emotune[train]'" in out.stdout, out.stdout + out.stderr


def test_window_self_test_imports_no_tensorflow(tmp_path, window_prompt_state):
    """The app's whole path (window, detector, emotion model, analysis, music) with TensorFlow and Keras made
    unimportable: it must pass, and neither may be in sys.modules at the end. (It starts from the evaluated
    prompt an earlier run kept, as the app's second run does: the first run's evaluation is other tests'.)"""
    with_prompt_state(tmp_path, window_prompt_state)
    script = (
        "import json, sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('tensorflow', 'keras', 'tf2onnx'):\n"
        "            raise ImportError(f'{name} imported by the app')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from emotune.gui.self_test import run_self_test\n"
        "code = run_self_test()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))))\n"
        "sys.exit(code)\n")
    env = {"EMOTUNE_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=540, env=env,
                         cwd=Path(__file__).resolve().parents[1])
    lines = out.stdout.strip().splitlines()
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    summary, loaded = json.loads(lines[-2]), json.loads(lines[-1])
    assert summary["ok"] and summary["faces"] == 3 and set(summary["emotions"]) <= set(EMOTIONS)
    assert summary["models"]["detector"] and "ONNX" in summary["models"]["emotion"]
    assert loaded == []


def test_onnx_runtime_telemetry_stays_off_and_nothing_lands_in_home(tmp_path):
    """ONNX Runtime (1.29+) reports to Microsoft and writes ~/.cache/Microsoft/.../deviceid unless told not to
    before its first import; both of EmoTune's models load through emotune.onnx_session, which tells it."""
    script = ("import cv2\n"
              "from emotune.vision import BlazeFaceDetector\n"
              "from emotune.inference.onnx_classifier import OnnxEmotionClassifier\n"
              "from emotune.resources import asset_path\n"
              "frame = cv2.imread(str(asset_path('sample_faces.jpg')))\n"
              "boxes = BlazeFaceDetector().detect(frame)\n"
              "print(len(boxes), OnnxEmotionClassifier().classify(frame, boxes).shape)\n")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.split() == ["3", "(3,", "7)"], out.stdout + out.stderr
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == []
