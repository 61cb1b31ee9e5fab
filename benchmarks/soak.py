"""Soak: the real window, offscreen, on a looping video for 30 minutes (by default), with the journal
recording and a "Capture mood" (analysis + recommendations) every minute. Prints memory, threads, open file
descriptors and frame rate at the start (after warm-up) and at the end, with the change and ratio side by side:
nothing should grow. Not part of CI or `python -m benchmarks` (its name has no bench_ prefix).

    python -m benchmarks.soak                   # 30 minutes
    python -m benchmarks.soak --minutes 2       # a quick check
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks.sample_video import make_video


@dataclass(frozen=True)
class Sample:
    t_s: float
    rss_mb: float
    threads: int            # native threads of the process (/proc/self/task), TensorFlow's included
    py_threads: int
    fds: int
    view_fps: float         # frames painted per second over the last interval
    classified_fps: float   # frames with fresh emotions per second over the last interval
    journal_rows: int


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")




class StandInClassifier:
    """Used only when models/emotion_cnn.keras is absent, so the soak still exercises every other part:
    cheap probabilities from the face crop's brightness (a stand-in, named as such in the report)."""

    classes = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

    def load(self) -> None:
        pass

    def classify(self, image_bgr, boxes):
        crops = [image_bgr[b.y:b.y + b.h, b.x:b.x + b.w] for b in boxes]
        return self.classify_crops(crops)

    def classify_crops(self, crops):
        out = np.full((len(crops), 7), 0.05)
        for i, c in enumerate(crops):
            m = float(np.mean(c)) / 255 if c.size else 0.5
            out[i, 3], out[i, 4], out[i, 6] = m, 1 - m, 0.5
        return out / out.sum(axis=1, keepdims=True)


def _wait_for_journal(app, bridge, timeout_s: float = 60.0):
    """The window's own journal store once its bridge has opened it (in its pool), or None without one."""
    if bridge is None:
        return None
    deadline = time.monotonic() + timeout_s
    while getattr(bridge, "store", None) is None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    return getattr(bridge, "store", None)


def run(minutes: float, sample_every_s: float, video: Path | None, workdir: Path) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["EMOTUNE_NO_CRASH_DIALOG"] = "1"
    from PySide6.QtCore import QEventLoop, QTimer

    from emotune.appdirs import AppDirs
    from emotune.capture import open_source
    from emotune.gui.app import build, default_classifier, make_qapplication
    from emotune.gui.settings import Settings
    from emotune.journal import JournalRecorder, JournalStore
    from emotune.resources import model_path

    video = video or make_video(workdir / "soak.avi", seconds=20.0, fps=15.0)
    dirs = AppDirs.under(workdir / "home").ensure()
    real_model = model_path("emotion_cnn.keras").exists()
    app = make_qapplication()
    settings = Settings.at(workdir / "settings.ini")
    parts = build(settings, dirs=dirs, source_opener=lambda spec: open_source(spec, loop=True), camera_probe=None,
                  classifier_factory=default_classifier if real_model else StandInClassifier)
    store = _wait_for_journal(app, parts.journal)
    own = None
    if store is None:                       # the window has no journal wired: record the way it would
        store = JournalStore.open(dirs)
        own = JournalRecorder(store)
        parts.session.mood_recorded.connect(own.record)
    counts = {"classified": 0}
    parts.controller.result.connect(lambda o: counts.__setitem__("classified", counts["classified"] + int(
        o.result.classified)))
    parts.window.resize(1280, 800)
    parts.window.show()
    parts.window.start(str(video))

    samples: list[Sample] = []
    t0 = time.monotonic()
    last = {"t": t0, "shown": 0, "classified": 0}

    def sample() -> None:
        gc.collect()
        now = time.monotonic()
        dt = max(now - last["t"], 1e-6)
        shown = parts.window.view.frames_shown
        samples.append(Sample(
            round(now - t0, 1), round(_rss_mb(), 1), len(os.listdir("/proc/self/task")), threading.active_count(),
            len(os.listdir("/proc/self/fd")), round((shown - last["shown"]) / dt, 2),
            round((counts["classified"] - last["classified"]) / dt, 2), store.counts()["snapshots"]))
        last.update(t=now, shown=shown, classified=counts["classified"])
        print(json.dumps(asdict(samples[-1])), flush=True)

    loop = QEventLoop()
    timers = []
    for interval_ms, slot in ((int(sample_every_s * 1000), sample), (60_000, lambda: parts.session.capture("soak")),
                              (int(minutes * 60_000), loop.quit)):
        timer = QTimer()
        timer.timeout.connect(slot)
        timer.start(interval_ms)
        timers.append(timer)
    loop.exec()
    for timer in timers:
        timer.stop()
    if time.monotonic() - last["t"] > sample_every_s / 2:    # else the last timed sample is the end figure
        sample()
    parts.shutdown()
    if own is not None:
        own.close()
    store.close()
    app.processEvents()
    leftover = parts.threads_running()
    return {"samples": samples, "leftover": leftover, "real_model": real_model, "video": str(video),
            "model_file": str(model_path("emotion_cnn.keras")),
            "models": parts.controller.model_status, "journal": "the window's" if own is None else "the soak's own"}


def report(result: dict, minutes: float) -> None:
    samples: list[Sample] = result["samples"]
    warm = samples[min(1, len(samples) - 1)]          # the first sample includes model loading: skip it
    end = samples[-1]
    print(f"\nEmoTune soak: {minutes:g} min on {Path(result['video']).name} (looping, offscreen); emotion model: "
          f"{result['model_file'] if result['real_model'] else 'STAND-IN (models/emotion_cnn.keras missing)'}")
    print(f"{'metric':<22}{'start':>10}{'end':>10}{'change':>10}{'end/start':>11}{'peak':>10}")
    for name in ("rss_mb", "threads", "py_threads", "fds", "view_fps", "classified_fps", "journal_rows"):
        a, b = getattr(warm, name), getattr(end, name)
        peak = max(getattr(s, name) for s in samples[1:] or samples)
        ratio = f"{b / a:.3f}" if a else "-"
        print(f"{name:<22}{a:>10g}{b:>10g}{b - a:>+10.4g}{ratio:>11}{peak:>10g}")
    tail = samples[len(samples) // 2:]
    if len(tail) >= 3:
        t = np.array([s.t_s for s in tail])
        rss = np.array([s.rss_mb for s in tail])
        slope = float(np.polyfit(t, rss, 1)[0]) * 3600
        print(f"memory trend over the second half: {slope:+.1f} MB/hour")
    print(f"journal recorder: {result['journal']}; threads still running after close: {result['leftover'] or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample-every", type=float, default=None, metavar="SECONDS",
                        help="seconds between measurements (default: minutes*60/20, at least 5)")
    parser.add_argument("--video", type=Path, help="a video to loop instead of the generated one")
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    args = parser.parse_args(argv)
    every = args.sample_every or max(5.0, args.minutes * 60 / 20)
    with tempfile.TemporaryDirectory(prefix="emotune-soak-") as tmp:
        os.environ["EMOTUNE_HOME"] = str(Path(tmp) / "home")
        result = run(args.minutes, every, args.video, Path(tmp))
    report(result, args.minutes)
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in result["samples"]], indent=1))
    return 1 if result["leftover"] else 0


if __name__ == "__main__":
    sys.exit(main())
