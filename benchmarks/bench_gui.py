"""The window on a 640×480, 30 fps video (offscreen): frames shown per second, share of captured frames
classified, the latency from a frame's capture to its emotion reaching the GUI thread (median, p95), and how
long the GUI thread ever stalled (event-loop lag), for several inference intervals side by side.

Then the claim that matters most: the GUI thread never blocks while the emotion model, the local LLM and the
recommender all run. The window is measured with "Capture mood" pressed again as soon as the previous analysis
and track list arrive, side by side with a naive single-thread window doing the same work (read, detect,
classify, analyse, recommend) on its GUI thread, as hobby apps do.

Run: `python -m benchmarks gui` (about two minutes; BENCH_GUI_SECONDS sets the time per row).
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.event_loop import run_for, wait_until
from benchmarks.sample_video import make_video

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["EMOTUNE_NO_CRASH_DIALOG"] = "1"

SECONDS = float(os.environ.get("BENCH_GUI_SECONDS", "12"))
BUSY_SECONDS = max(SECONDS, 30.0)   # long enough for several LLM analyses on a small CPU
INTERVALS_MS = (0, 100, 250)
FPS = 30.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Heartbeat:
    """A 10 ms precise timer on the GUI thread: how late each tick fires is how long the thread was busy."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.lags: list[float] = []
        self._last = time.monotonic()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        self.lags.append(max(0.0, (now - self._last) * 1000 - 10))
        self._last = now

    def start(self) -> None:
        self._last = time.monotonic()
        self._timer.start(10)

    def stop(self) -> None:
        self._timer.stop()
        self._tick()   # a stall that is still going on when the row ends counts too


def run_once(video: Path, interval_ms: int, classifier, workdir: Path, busy_engines: bool = False) -> dict:
    from emotune.appdirs import AppDirs
    from emotune.capture import open_source
    from emotune.gui import settings as keys
    from emotune.gui.app import build
    from emotune.gui.settings import Settings

    settings = Settings.at(workdir / f"settings-{interval_ms}-{busy_engines}.ini")
    settings.set(keys.INFERENCE_INTERVAL_MS, interval_ms)
    dirs = AppDirs.under(workdir / "home")
    parts = build(settings, dirs=dirs, source_opener=lambda spec: open_source(spec, loop=True), camera_probe=None,
                  classifier_factory=lambda: classifier, journal=False)
    session = parts.session
    latencies: list[float] = []
    parts.controller.result.connect(
        lambda o: latencies.append((time.monotonic() - o.captured_at) * 1000) if o.result.classified else None)
    done = {"analyses": 0, "batches": 0}
    session.analysis_done.connect(lambda v: done.__setitem__("analyses", done["analyses"] + 1))
    session.tracks_ready.connect(lambda b: done.__setitem__("batches", done["batches"] + 1))
    parts.window.resize(1280, 800)
    parts.window.show()
    parts.window.start(str(video))
    wait_until(lambda: parts.controller.model_status and latencies and session.analyst_name)
    analyst = session.analyst_name
    if busy_engines:   # "Capture mood" again whenever the previous analysis and tracks have arrived
        def again(_batch=None) -> None:
            if not parts.window._closed:
                session.capture()
        session.tracks_ready.connect(again)
        session.tracks_failed.connect(again)
        with_tracks = {"n": done["batches"]}
        again()
        wait_until(lambda: done["batches"] > with_tracks["n"])
    slot, view, worker = parts.controller.slot, parts.window.view, parts.controller.inference_worker
    start = dict(put=slot.put_count, shown=view.frames_shown, classified=worker.classified, n_lat=len(latencies),
                 analyses=done["analyses"], batches=done["batches"])
    beat = Heartbeat()
    beat.start()
    elapsed = run_for(BUSY_SECONDS if busy_engines else SECONDS)
    beat.stop()
    captured = slot.put_count - start["put"]
    classified = worker.classified - start["classified"]
    window_latencies = latencies[start["n_lat"]:]
    row = {
        "name": f"window, interval {interval_ms} ms" + (", LLM + music busy" if busy_engines else ""),
        "source_fps": captured / elapsed,
        "view_fps": (view.frames_shown - start["shown"]) / elapsed,
        "classified_fps": classified / elapsed,
        "share_classified": classified / captured if captured else 0.0,
        "latency_median_ms": statistics.median(window_latencies) if window_latencies else float("nan"),
        "latency_p95_ms": percentile(window_latencies, 0.95),
        "gui_lag_p95_ms": percentile(beat.lags, 0.95),
        "gui_lag_max_ms": max(beat.lags) if beat.lags else float("nan"),
        "analyses": done["analyses"] - start["analyses"],
        "batches": done["batches"] - start["batches"],
        "model": parts.controller.model_status.emotion_name if parts.controller.model_status else "",
        "analyst": analyst,
    }
    parts.shutdown()
    if parts.threads_running():
        raise SystemExit(f"threads still running after shutdown: {parts.threads_running()}")
    return row


def run_naive(video: Path, classifier, workdir: Path) -> dict:
    """The same work on the GUI thread: a 30 fps timer reads a frame, detects and classifies, paints it; and
    as soon as the previous one ended, an analysis by the same LLM and a recommendation from the same catalog."""
    import threading

    import cv2
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QImage, QPixmap
    from PySide6.QtWidgets import QLabel

    from emotune.appdirs import AppDirs
    from emotune.capture import open_source
    from emotune.core.history import MoodHistory
    from emotune.gui.services import engines
    from emotune.gui.services.interfaces import AnalysisRequest
    from emotune.gui.settings import Preferences
    from emotune.pipeline.processor import FrameProcessor, ProcessorConfig
    from emotune.vision.detection import HaarFaceDetector

    dirs = AppDirs.under(workdir / "home")
    prefs = Preferences()
    music = engines.make_music(prefs, dirs)
    analyst = engines.make_analyst(prefs, dirs, genres=lambda: music.genres())
    try:
        analyst_name = analyst.load(lambda text: None, None)
    except Exception as exc:  # noqa: BLE001 - no GGUF: the naive window analyses with the summary, as ours does
        from emotune.gui.services.interfaces import SummaryAnalyst

        analyst, analyst_name = SummaryAnalyst(str(exc)), "no language model"
    music.recommend(_neutral(), "match", prefs, None, False)   # the catalog loads before the clock starts
    detector = HaarFaceDetector()
    getattr(detector, "load", lambda: None)()
    processor = FrameProcessor(detector, classifier, config=ProcessorConfig(detect_every=1, classify_every=1))
    source = open_source(str(video), loop=True)
    source.open()
    label = QLabel()
    label.resize(1280, 800)
    label.show()
    counts = {"frames": 0, "classified": 0, "analyses": 0, "batches": 0}
    history = MoodHistory()
    latencies: list[float] = []

    def frame_tick() -> None:
        t0 = time.monotonic()
        frame = source.read()
        if frame is None:
            return
        result = processor.process(frame)
        counts["frames"] += 1
        counts["classified"] += int(result.classified)
        if result.classified:
            latencies.append((time.monotonic() - t0) * 1000)
        if result.mood is not None:
            history.add(result.mood)
        rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888).copy()
        label.setPixmap(QPixmap.fromImage(image))

    def analysis_tick() -> None:
        mood = history.latest
        if mood is None:
            return
        request = AnalysisRequest(mood, history.summary(), history, prefs, "match")
        view = analyst.analyze(request, lambda text: None, threading.Event())
        counts["analyses"] += 1
        music.recommend(mood, "match", prefs, view, False)
        counts["batches"] += 1

    frames = QTimer()
    frames.timeout.connect(frame_tick)
    frames.start(int(1000 / FPS))
    analyses = QTimer()
    analyses.timeout.connect(analysis_tick)
    wait_until(lambda: history.latest is not None)
    analyses.start(0)
    start = dict(counts)
    beat = Heartbeat()
    beat.start()
    elapsed = run_for(BUSY_SECONDS)
    beat.stop()
    frames.stop()
    analyses.stop()
    source.close()
    label.close()
    n = counts["frames"] - start["frames"]
    classified = counts["classified"] - start["classified"]
    return {
        "name": "naive: all on the GUI thread, LLM + music busy", "source_fps": n / elapsed, "view_fps": n / elapsed,
        "classified_fps": classified / elapsed, "share_classified": classified / n if n else 0.0,
        "latency_median_ms": statistics.median(latencies) if latencies else float("nan"),
        "latency_p95_ms": percentile(latencies, 0.95),
        "gui_lag_p95_ms": percentile(beat.lags, 0.95), "gui_lag_max_ms": max(beat.lags) if beat.lags else float("nan"),
        "analyses": counts["analyses"] - start["analyses"], "batches": counts["batches"] - start["batches"],
        "analyst": analyst_name, "model": "",
    }


def _neutral():
    from emotune.core.mood import MoodSnapshot

    return MoodSnapshot.manual_mood("neutral")


def main() -> None:
    from emotune.gui.app import default_classifier, make_qapplication

    make_qapplication()
    classifier = default_classifier()
    t0 = time.monotonic()
    classifier.load()
    load_s = time.monotonic() - t0
    with tempfile.TemporaryDirectory(prefix="emotune-bench-gui-") as tmp:
        workdir = Path(tmp)
        video = make_video(workdir / "faces_640x480.avi", seconds=10.0, fps=FPS)
        rows = [run_once(video, ms, classifier, workdir) for ms in INTERVALS_MS]
        busy = run_once(video, 100, classifier, workdir, busy_engines=True)
        naive = run_naive(video, classifier, workdir)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"CPU: {os.cpu_count()} cores, load average {load} (1/5/15 min) at the end: stalls on a busy machine are "
          "partly the GUI thread waiting for a core, not work on it")
    print(f"EmoTune window on a 640×480 {FPS:.0f} fps video with 3 faces, offscreen, {SECONDS:.0f} s per row "
          f"({BUSY_SECONDS:.0f} s for the busy rows); "
          f"emotion model loaded in {load_s:.1f} s; analysis: {busy['analyst']}")
    header = (f"{'row':<48} {'src fps':>7} {'view fps':>8} {'view/src':>8} {'classif/s':>9} {'share':>6} "
              f"{'lat med':>8} {'lat p95':>8} {'GUI lag p95':>11} {'GUI lag max':>11} {'analyses':>8}")
    print(header)
    print("-" * len(header))
    for r in rows + [busy, naive]:
        print(f"{r['name']:<48} {r['source_fps']:>7.1f} {r['view_fps']:>8.1f} "
              f"{r['view_fps'] / r['source_fps'] if r['source_fps'] else 0:>8.2f} {r['classified_fps']:>9.1f} "
              f"{r['share_classified']:>6.0%} {r['latency_median_ms']:>6.0f}ms {r['latency_p95_ms']:>6.0f}ms "
              f"{r['gui_lag_p95_ms']:>9.1f}ms {r['gui_lag_max_ms']:>9.0f}ms {r['analyses']:>8}")
    ratio = naive["gui_lag_max_ms"] / busy["gui_lag_max_ms"] if busy["gui_lag_max_ms"] > 0 else float("inf")
    fps_ratio = busy["view_fps"] / naive["view_fps"] if naive["view_fps"] else float("inf")
    print(f"\nWith the LLM and the recommender busy, the naive window's longest GUI stall is {ratio:.0f}× the "
          f"window's ({naive['gui_lag_max_ms']:.0f} ms vs {busy['gui_lag_max_ms']:.0f} ms), and the window shows "
          f"{fps_ratio:.1f}× as many frames per second.")
    print("view/src: frames shown per frame captured; share: captured frames classified (the rest are shown "
          "with the last boxes); lat: capture → emotion on the GUI thread (naive: read → classified); GUI lag: how "
          "late a 10 ms timer fired (the GUI thread's busy stretches); analyses: LLM analyses done, each followed by "
          "a track list.")


if __name__ == "__main__":
    main()
