"""Scoring a saved model through the app's own inference path and writing it out with an honest card:
accuracy with and without flip TTA, per-class recall, confusion matrix, ECE before/after the PublicTest
temperature, input size and preprocessing, parameter count, ms per face, training command and data hash;
and the ONNX export beside the .keras that the app actually runs (checked against Keras on test faces)."""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from emotune.inference.keras_classifier import KerasEmotionClassifier
from emotune.inference.model_card import PREPROCESSING_TEXT, read_card, write_card
from emotune.inference.onnx_classifier import OnnxEmotionClassifier, file_sha256
from emotune.training.data import FerData
from emotune.training.evaluation import Evaluation, evaluate


def raw_classifier(model_path: Path) -> KerasEmotionClassifier:
    """The app's classifier on `model_path`, with TTA off so evaluation can score both ways."""
    clf = KerasEmotionClassifier(model_path, card_path=False, tta=False)
    clf.load()
    return clf


def score(model_path: Path, data: FerData) -> Evaluation:
    """PrivateTest figures, temperature fitted on PublicTest, all through the app's compiled path."""
    clf = raw_classifier(model_path)
    predict = lambda x: clf.predict_prepared(x, calibrated=False)  # noqa: E731
    return evaluate(predict, data.test.x, data.test.y, data.val.x, data.val.y)


def time_per_face(model_path: Path, faces: np.ndarray, tta: bool, batch: int, repeats: int = 20) -> float:
    """Median milliseconds per face through KerasEmotionClassifier.predict_prepared."""
    return _median_ms(KerasEmotionClassifier(model_path, card_path=False, tta=tta), faces[:batch], repeats)


def export_onnx(model_path: Path, faces: np.ndarray) -> dict[str, Any]:
    """Writes `model_path` with suffix .onnx (what the app runs, through ONNX Runtime) and checks it against
    Keras on `faces` (uint8, (n, s, s, 1)): the card's "onnx" section, with the largest probability gap.
    Keras 3 exports through tf2onnx under TensorFlow, so run it there (`emotune eval --update-card` does)."""
    import keras

    model_path = Path(model_path)
    out = model_path.with_suffix(".onnx")
    model = keras.saving.load_model(model_path, compile=False)
    size = int(model.input_shape[1])
    model(np.zeros((1, size, size, 1), np.float32), training=False)  # export needs a model that has been called
    tmp = out.with_name(out.stem + ".tmp.onnx")
    model.export(str(tmp), format="onnx", verbose=False)
    shutil.move(tmp, out)
    keras_probs = raw_classifier(model_path).predict_prepared(faces, calibrated=False)
    onnx_probs = OnnxEmotionClassifier(out, card_path=False, tta=False).predict_prepared(faces, calibrated=False)
    gap = float(np.abs(keras_probs - onnx_probs).max())
    if gap > 1e-4:
        raise RuntimeError(f"the ONNX export {out} disagrees with {model_path.name} by {gap:.2g} in probability")
    return {"file": out.name, "keras_sha256": file_sha256(model_path), "bytes": out.stat().st_size,
            "max_abs_prob_diff_vs_keras": float(f"{gap:.3g}"), "faces_checked": len(faces),
            "exported_with": f"keras {keras.__version__} ({keras.backend.backend()}) model.export(format='onnx')"}


def time_per_face_onnx(onnx_path: Path, faces: np.ndarray, tta: bool, batch: int, repeats: int = 20) -> float:
    """Median milliseconds per face through the app's OnnxEmotionClassifier.predict_prepared."""
    clf = OnnxEmotionClassifier(onnx_path, card_path=False, tta=tta)
    return _median_ms(clf, faces[:batch], repeats)


def _median_ms(clf, x: np.ndarray, repeats: int) -> float:
    clf.predict_prepared(x)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        clf.predict_prepared(x)
        times.append((time.perf_counter() - t0) * 1000.0 / len(x))
    return float(np.median(times))


def card_for(model_path: Path, data: FerData, ev: Evaluation, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    import keras

    model = keras.saving.load_model(model_path, compile=False)
    size = int(model.input_shape[1])
    faces = data.test.x[:32]
    onnx_path = Path(model_path).with_suffix(".onnx")
    if keras.backend.backend() == "tensorflow":
        onnx = export_onnx(model_path, data.test.x[:500])
        onnx_speed = {"onnx_ms_per_face_tta_batch1": round(time_per_face_onnx(onnx_path, faces, True, 1), 3),
                      "onnx_ms_per_face_tta_batch32": round(time_per_face_onnx(onnx_path, faces, True, 32), 3)}
    else:  # Keras exports a fixed batch of 1 under PyTorch; the app needs any batch
        onnx, onnx_speed = {"missing": f"not exported under {keras.backend.backend()}: run `emotune eval --data DIR "
                                       "--update-card` under TensorFlow to write the .onnx the app runs"}, {}
        print(f"emotune: {onnx['missing']}")
    speed = {
        "backend": keras.backend.backend(),
        "ms_per_face_tta_batch1": round(time_per_face(model_path, faces, True, 1), 3),
        "ms_per_face_tta_batch32": round(time_per_face(model_path, faces, True, 32), 3),
        "ms_per_face_no_tta_batch1": round(time_per_face(model_path, faces, False, 1), 3),
        "ms_per_face_no_tta_batch32": round(time_per_face(model_path, faces, False, 32), 3),
        **onnx_speed,
        "note": "EmoTune's compiled Keras path and the app's ONNX Runtime path (one thread) on this 2-core CPU, "
                "excluding face detection and cropping",
    }
    card = {
        "name": "emotune-emotion-cnn", "architecture": model.name, "params": int(model.count_params()),
        "input_size": size, "input_range": [0, 255], "color": "gray", "tta": "flip",
        "temperature": round(ev.temperature, 4), "preprocessing": PREPROCESSING_TEXT,
        "test": {"split": "FER2013 PrivateTest", **ev.to_dict()},
        "speed": speed, "onnx": onnx, "data": {"source": "FER2013", "sha256": data.sha256},
        "updated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return {**card, **(extra or {})}


def export_model(best_path: Path, out_path: Path, data: FerData, command: str) -> dict[str, Any]:
    """Copies the best checkpoint to `out_path` (weights only, no optimiser) and writes its card."""
    import keras

    from emotune.training.trainer import read_state

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    model = keras.saving.load_model(best_path, compile=False)
    tmp = out_path.with_name(out_path.stem + ".tmp.keras")
    model.save(tmp)  # loaded without compile: no optimiser state goes into the shipped file
    shutil.move(tmp, out_path)
    state = read_state(Path(best_path).parent) or {}
    history = state.get("history", [])
    training = {
        "command": command, "config": state.get("config"), "epochs_done": state.get("epochs_done"),
        "trained_with_backend": state.get("backend"), "best_val_accuracy": state.get("best_val_accuracy"),
        "train_seconds": round(sum(h.get("seconds", 0) for h in history), 1), "history": history,
    }
    margin = (state.get("config") or {}).get("margin")
    extra = {"training": training, **({"margin": margin} if margin is not None else {})}
    card = card_for(out_path, data, score(out_path, data), extra)
    write_card(out_path.with_suffix(".json"), card)
    return card


def update_card(model_path: Path, data: FerData, ev: Evaluation) -> dict[str, Any]:
    """Re-measures the card's figures for `model_path` under the current backend, keeping its history, and
    exports the .onnx beside it again."""
    card_path = Path(model_path).with_suffix(".json")
    old = read_card(card_path) if card_path.is_file() else {}
    keep = {k: old[k] for k in ("training", "margin", "name", "logit_bias", "logit_bias_fit") if k in old}
    card = card_for(model_path, data, ev, keep)
    write_card(card_path, card)
    return json.loads(card_path.read_text())
