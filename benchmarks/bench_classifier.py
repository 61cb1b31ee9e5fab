"""Per-face emotion classification time: the app's path (the model's ONNX export through ONNX Runtime, one
thread) vs our compiled TensorFlow path (what the app ran before) vs `model.predict` (one face, and a batch of
faces), with and without flip TTA, side by side with a mini-Xception-sized baseline (random weights: only its
speed matters), plus the face detectors' time per 640×480 frame (BlazeFace, the default, and Haar).

Each row gives the median wall time and the mean process CPU time (all threads): TensorFlow runs a batch on
every core, ONNX Runtime in the app on one, so on a busy machine the CPU column is the fairer cost.

Run: `python -m benchmarks.bench_classifier` (about a minute; set BENCH_REPEATS to change the sample).
"""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPEATS = int(os.environ.get("BENCH_REPEATS", "30"))
BATCH = 16


@dataclass(frozen=True)
class Ms:
    """Milliseconds of one call: median wall time and mean process CPU time (all threads)."""

    wall: float
    cpu: float

    def __truediv__(self, n: int) -> "Ms":   # per face, for a batch of n
        return Ms(self.wall / n, self.cpu / n)


def _median_ms(fn: Callable[[], object], repeats: int = REPEATS) -> Ms:
    fn()  # warm-up (tracing, allocations)
    times = []
    cpu0 = time.process_time()
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return Ms(statistics.median(times), (time.process_time() - cpu0) * 1000.0 / repeats)


def _faces(size: int, n: int) -> np.ndarray:
    """Real FER2013 PrivateTest faces when the shared data is there, otherwise noise (same cost)."""
    from pathlib import Path

    import cv2

    from emotune.inference.preprocessing import prepare_face

    root = Path(os.environ.get("EMOTUNE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    files = sorted((root / "datasets" / "fer2013" / "test").glob("*/PrivateTest_*"))[::50][:n]
    if len(files) == n:
        return np.stack([prepare_face(cv2.imread(str(f)), None, size) for f in files]).astype(np.float32)
    return np.random.default_rng(0).integers(0, 256, (n, size, size, 1)).astype(np.float32)


def _per_face_rows(name: str, model) -> list[tuple[str, Ms]]:
    from emotune.inference.keras_classifier import compile_inference

    size = model.input_shape[1]
    x = _faces(size, BATCH)
    one, flip_one = x[:1], np.concatenate([x[:1], x[:1, :, ::-1]])
    flip_batch = np.concatenate([x, x[:, :, ::-1]])
    plain, tta = compile_inference(model, False), compile_inference(model, True)
    return [
        (f"{name}: ours, 1 face", _median_ms(lambda: plain(one))),
        (f"{name}: ours, 1 face + flip TTA", _median_ms(lambda: tta(one))),
        (f"{name}: ours, {BATCH} faces", _median_ms(lambda: plain(x)) / BATCH),
        (f"{name}: ours, {BATCH} faces + flip TTA", _median_ms(lambda: tta(x)) / BATCH),
        (f"{name}: model.predict, 1 face", _median_ms(lambda: model.predict(one, verbose=0), REPEATS // 3)),
        (f"{name}: model.predict, 1 face + flip TTA",
         _median_ms(lambda: model.predict(flip_one, verbose=0), REPEATS // 3)),
        (f"{name}: model.predict, {BATCH} faces",
         _median_ms(lambda: model.predict(x, verbose=0), REPEATS // 3) / BATCH),
        (f"{name}: model.predict, {BATCH} faces + flip TTA",
         _median_ms(lambda: model.predict(flip_batch, verbose=0), REPEATS // 3) / BATCH),
    ]


def _onnx_rows(name: str, size: int) -> list[tuple[str, Ms]]:
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier

    x = _faces(size, BATCH).astype(np.uint8)
    plain, tta = OnnxEmotionClassifier(tta=False), OnnxEmotionClassifier(tta=True)
    return [
        (f"{name}: ONNX Runtime (app), 1 face", _median_ms(lambda: plain.predict_prepared(x[:1]))),
        (f"{name}: ONNX Runtime (app), 1 face + flip TTA", _median_ms(lambda: tta.predict_prepared(x[:1]))),
        (f"{name}: ONNX Runtime (app), {BATCH} faces", _median_ms(lambda: plain.predict_prepared(x)) / BATCH),
        (f"{name}: ONNX Runtime (app), {BATCH} faces + flip TTA",
         _median_ms(lambda: tta.predict_prepared(x)) / BATCH),
    ]


def _detector_ms(det) -> Ms:
    frame = np.random.default_rng(1).integers(60, 200, (480, 640, 3), dtype=np.uint8)
    faces = _faces(48, 2).astype(np.uint8)
    import cv2

    for i, face in enumerate(faces):  # two faces at arm's length so the cascade has real work
        big = cv2.cvtColor(cv2.resize(face, (160, 160), interpolation=cv2.INTER_CUBIC), cv2.COLOR_GRAY2BGR)
        frame[160:320, 60 + 260 * i:220 + 260 * i] = big
    det.load()
    return _median_ms(lambda: det.detect(frame))


def main() -> None:
    import keras

    from emotune.inference.keras_classifier import KerasEmotionClassifier
    from emotune.training.models import mini_xception

    clf = KerasEmotionClassifier()
    clf.load()
    ours = clf.model
    baseline = mini_xception(64)
    rows = _per_face_rows(f"EmoTune CNN {ours.input_shape[1]}px ({ours.count_params() / 1e3:.0f}k params)", ours)
    rows += _per_face_rows(f"mini-Xception 64px ({baseline.count_params() / 1e3:.0f}k params, random)", baseline)
    onnx = _onnx_rows(f"EmoTune CNN {ours.input_shape[1]}px", ours.input_shape[1])
    rows += onnx
    from emotune.vision import BlazeFaceDetector, HaarFaceDetector

    rows.append(("BlazeFace detector (default), one 640×480 frame (2 faces)", _detector_ms(BlazeFaceDetector())))
    rows.append(("Haar detector (fallback), one 640×480 frame (2 faces)", _detector_ms(HaarFaceDetector())))
    ref = rows[0][1].wall
    ours_tta_batch = rows[3][1]
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPU cores; "
          f"median of {REPEATS} runs; load average {os.getloadavg()[0]:.1f}")
    width = max(len(name) for name, _ in rows) + 2
    print(f"{'measurement':<{width}}{'ms per face/frame':>18}{'CPU ms':>9}{'× ours 1 face':>15}")
    for name, ms in rows:
        print(f"{name:<{width}}{ms.wall:>18.3f}{ms.cpu:>9.3f}{ms.wall / ref:>15.2f}")
    pred_1 = rows[4][1].wall
    print(f"\nours vs model.predict, 1 face: {pred_1 / ref:.1f}× faster; shipped model with flip TTA in a batch "
          f"of {BATCH}: {ours_tta_batch.wall:.2f} ms/face (target ≤ 5 ms), 1 face + TTA: {rows[1][1].wall:.2f} ms; "
          f"mini-Xception with TTA, batch: {rows[11][1].wall:.2f} ms/face "
          f"({rows[11][1].wall / ours_tta_batch.wall:.2f}× ours)")
    for what, a, b in (("1 face + TTA", onnx[1][1], rows[1][1]),
                       (f"{BATCH} faces + TTA, per face", onnx[3][1], ours_tta_batch)):
        print(f"the app's ONNX path vs the compiled TensorFlow path, same model, {what}: wall {a.wall:.2f} vs "
              f"{b.wall:.2f} ms ({b.wall / a.wall:.2f}× faster), CPU {a.cpu:.2f} vs {b.cpu:.2f} ms "
              f"({b.cpu / a.cpu:.2f}× less)")

if __name__ == "__main__":
    main()
