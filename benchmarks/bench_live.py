"""What the running window costs: process CPU seconds per second of a 30 fps 640×480 video (three faces
panning; and one real face drifting over a grey wall), at default settings, with the frames shown and
classified per second, for the app as it is now
(BlazeFace + the emotion model through ONNX Runtime) and as it was (the Haar cascade with whole-frame
equalisation + the compiled TensorFlow path), side by side in one process. The new row runs first, before
TensorFlow is ever imported; the language model is loaded and idle in both rows, as in the window at rest.

Run: `python -m benchmarks live` (about a minute; BENCH_LIVE_SECONDS sets the time per row).
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.event_loop import run_for, wait_until
from benchmarks.sample_video import make_video

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["EMOTUNE_NO_CRASH_DIALOG"] = "1"

SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "20"))
FPS = 30.0


def measure(name: str, video: Path, workdir: Path, detector_factory, classifier_factory) -> dict:
    from emotune.appdirs import AppDirs
    from emotune.capture import open_source
    from emotune.gui.app import build
    from emotune.gui.settings import Settings

    settings = Settings.at(workdir / f"settings-{len(name)}.ini")   # defaults: the 100 ms inference interval
    parts = build(settings, dirs=AppDirs.under(workdir / "home"), source_opener=lambda s: open_source(s, loop=True),
                  camera_probe=None, detector_factory=detector_factory, classifier_factory=classifier_factory,
                  journal=False)
    results = []
    parts.controller.result.connect(lambda o: results.append(o) if o.result.classified else None)
    parts.window.resize(1280, 800)
    parts.window.show()
    t_start = time.monotonic()
    parts.window.start(str(video))
    wait_until(lambda: len(results) >= 3 and parts.session.analyst_name)
    ready_s = time.monotonic() - t_start
    run_for(2.0)   # settle
    view, worker = parts.window.view, parts.controller.inference_worker
    shown0, classified0, put0 = view.frames_shown, worker.classified, parts.controller.slot.put_count
    cpu0, t0 = time.process_time(), time.monotonic()
    elapsed = run_for(SECONDS)
    cpu = time.process_time() - cpu0
    elapsed = time.monotonic() - t0
    row = {"name": name, "cpu_per_s": cpu / elapsed, "view_fps": (view.frames_shown - shown0) / elapsed,
           "source_fps": (parts.controller.slot.put_count - put0) / elapsed,
           "classified_fps": (worker.classified - classified0) / elapsed, "ready_s": ready_s,
           "model": parts.controller.model_status.emotion_name}
    parts.shutdown()
    return row


def main() -> None:
    from emotune.gui.app import default_classifier, make_qapplication
    from emotune.vision.detection import HaarFaceDetector
    from emotune.vision.factory import default_detector

    make_qapplication()
    with tempfile.TemporaryDirectory(prefix="emotune-bench-live-") as tmp:
        workdir = Path(tmp)
        three = make_video(workdir / "faces_640x480.avi", seconds=10.0, fps=FPS)
        one = drifting_video_file(workdir / "drifting_640x480.avi")
        rows = [measure("now: BlazeFace + ONNX, 3 faces", three, workdir, default_detector, default_classifier),
                measure("now: BlazeFace + ONNX, 1 face", one, workdir, default_detector, default_classifier)]

        def keras_classifier():
            from emotune.inference.keras_classifier import KerasEmotionClassifier

            return KerasEmotionClassifier()

        rows += [measure("before: Haar (equalizeHist) + TF, 3 faces", three, workdir,
                         lambda: HaarFaceDetector(equalize=True), keras_classifier),
                 measure("before: Haar (equalizeHist) + TF, 1 face", one, workdir,
                         lambda: HaarFaceDetector(equalize=True), keras_classifier)]
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"window at default settings on a {FPS:.0f} fps 640×480 video (3 faces), offscreen, {SECONDS:.0f} s per row; "
          f"{os.cpu_count()} cores, load average {load}")
    header = f"{'row':<44} {'CPU s/s':>8} {'src fps':>8} {'view fps':>8} {'classified/s':>12} {'ready s':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['name']:<44} {r['cpu_per_s']:>8.3f} {r['source_fps']:>8.1f} {r['view_fps']:>8.1f} "
              f"{r['classified_fps']:>12.1f} {r['ready_s']:>8.1f}")
    print(f"CPU s/s: process CPU time (all threads) per second of wall time; now/before: 3 faces "
          f"{rows[0]['cpu_per_s'] / rows[2]['cpu_per_s']:.2f}, "
          f"1 face {rows[1]['cpu_per_s'] / rows[3]['cpu_per_s']:.2f}; "
          "ready: window start to the third classified frame and the analysis engine loaded")


def drifting_video_file(path: Path, seconds: int = 20) -> Path:
    """The detector benchmark's drifting-face video (one real face, 180 px, grey wall) as an MJPG file."""
    import cv2

    from benchmarks.bench_detector import drifting_video
    from benchmarks.detection_set import fer_dir

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (640, 480))
    for frame, _ in drifting_video(fer_dir(), seconds=seconds, fps=int(FPS)):
        writer.write(frame)
    writer.release()
    return path


if __name__ == "__main__":
    main()
