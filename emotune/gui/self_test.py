"""`emotune gui --self-test`: the real window, offscreen, fed the bundled sample through the whole pipeline
(detection, emotion, analysis, offline recommendation); prints ONE line of JSON and exits 0, or exits 1 with
the JSON's "error" (and stderr) saying which part is missing. The packaged bundle runs the same code.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

SAMPLE = "sample_faces.jpg"
MIN_RESULTS = 3
SELF_TEST_SEED = 1


class SelfTestFailure(RuntimeError):
    pass


def _wait(predicate: Callable[[], bool], timeout_s: float, what: str, fail: Callable[[], str | None]) -> None:
    """Runs the Qt event loop until `predicate` holds; raises with `what` on timeout or when `fail` says why."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if predicate() or fail() else None)
    timer.start(20)
    deadline = time.monotonic() + timeout_s
    while not predicate():
        problem = fail()
        if problem:
            raise SelfTestFailure(problem)
        if time.monotonic() > deadline:
            raise SelfTestFailure(f"timed out after {timeout_s:.0f} s waiting for {what}")
        loop.exec()
    timer.stop()


def _gguf_files() -> list[Path]:
    """The GGUF files the app looks at (the bundled default among them); [] in a build without the LLM."""
    try:
        from emotune.appdirs import AppDirs
        from emotune.llm.model_files.model_locator import default_model_dirs
    except ImportError:
        return []
    return [p for folder in default_model_dirs(AppDirs.default()) if folder.is_dir()
            for p in sorted(folder.glob("*.gguf"))]


def run_self_test(source: str | None = None, timeout_s: float = 180.0, screenshot: str | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["EMOTUNE_NO_CRASH_DIALOG"] = "1"
    t_start = time.monotonic()
    summary: dict = {"ok": False}
    try:
        summary = _run(source, timeout_s, screenshot, t_start)
        code = 0
    except SelfTestFailure as exc:
        summary["error"] = str(exc)
        print(f"EmoTune self-test failed: {exc}", file=sys.stderr)
        code = 1
    print(json.dumps(summary, separators=(",", ":")), flush=True)
    return code


def _run(source: str | None, timeout_s: float, screenshot: str | None, t_start: float) -> dict:
    from emotune.capture import ImageSource, open_source
    from emotune.gui import settings as keys
    from emotune.gui.app import build, make_qapplication
    from emotune.gui.settings import Settings
    from emotune.resources import asset_path

    path = Path(source) if source else asset_path(SAMPLE)
    if not path.exists():
        raise SelfTestFailure(f"the sample {path} is missing: reinstall EmoTune (assets/{SAMPLE})")
    app = make_qapplication()
    settings = Settings.in_memory()     # the user's settings untouched, and no file left even if the run is killed
    # the self-test checks that the model writes the analysis, not how fast: on a busy machine it may take
    # longer than the app's 30 s budget, so it gets as long as the self-test itself
    settings.set(keys.LLM_TIME_BUDGET_S, int(timeout_s))
    settings.set(keys.LLM_SEED, SELF_TEST_SEED)   # the sample's mood gets the same words every run

    def opener(spec):
        p = Path(str(spec))
        return ImageSource([p], seconds_per_image=1e6, fps=10.0, loop=True) if p.is_file() and \
            p.suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp") else open_source(spec, loop=True)

    parts = build(settings, source_opener=opener, camera_probe=None, journal=False)
    try:
        return _drive(app, parts, path, timeout_s, screenshot, t_start)
    finally:
        parts.shutdown()
        leftover = parts.threads_running()
        if leftover:
            raise SelfTestFailure(f"threads still running after shutdown: {leftover}")


def _settle(predicate: Callable[[], bool], timeout_s: float) -> None:
    """Runs the Qt event loop until `predicate` holds or `timeout_s` passes (then goes on: only cosmetic)."""
    deadline = time.monotonic() + timeout_s
    _wait(lambda: predicate() or time.monotonic() > deadline, timeout_s + 1, "the window to settle", lambda: None)


def _rows_laid_out(window) -> bool:
    """True when every track row is shown and as tall as its wrapped text needs at its width (a list that has
    just arrived is not shown yet: grabbed then, the picture had the track count over an empty list)."""
    from emotune.gui.widgets.track_list import TrackRow

    for row in window.findChildren(TrackRow):
        layout = row.layout()
        if layout is None:
            continue
        if not row.isVisible():
            return False
        need = layout.totalHeightForWidth(row.width()) if layout.hasHeightForWidth() else \
            row.minimumSizeHint().height()
        if row.height() < need:
            return False
    return True


class _Observed:
    """What the window's workers reported during the self-test, collected from their signals."""

    def __init__(self, parts) -> None:
        self.controller, self.session = parts.controller, parts.session
        self.outputs: list = []       # classified frames
        self.errors: list[str] = []
        self.notices: list[str] = []
        self.analyses: list = []
        self.batches: list = []       # track lists
        self.events: dict[str, float] = {}   # when the models, the first analysis and tracks arrived
        self.controller.result.connect(lambda o: self.outputs.append(o) if o.result.classified else None)
        self.controller.source_failed.connect(
            lambda kind, msg, hint: self.errors.append(f"source {kind}: {msg} {hint}"))
        self.controller.models_ready.connect(lambda s: self._event("models"))
        self.session.analysis_done.connect(lambda v: (self.analyses.append(v), self._event("analysis")))
        self.session.tracks_ready.connect(lambda b: (self.batches.append(b), self._event("tracks")))
        self.session.tracks_failed.connect(self.errors.append)
        self.session.notice.connect(self.notices.append)

    def _event(self, name: str) -> None:
        self.events.setdefault(name, time.monotonic())

    def failure(self) -> str | None:
        """Why the test cannot pass any more (a model or the source missing), or None."""
        status = self.controller.model_status
        if status is not None and not status.detector:
            return f"face detector missing: {status.problem}"
        if status is not None and not status.emotion:
            return f"emotion model missing: {status.problem}"
        return self.errors[0] if self.errors else None


def _drive(app, parts, path: Path, timeout_s: float, screenshot: str | None, t_start: float) -> dict:
    from emotune.gui.services.session import NO_LANGUAGE_MODEL

    window, session = parts.window, parts.session
    seen = _Observed(parts)
    window.resize(1280, 800)
    window.show()
    window.start(str(path))
    _wait(lambda: len(seen.outputs) >= MIN_RESULTS and any(o.result.faces for o in seen.outputs), timeout_s,
          "faces with emotions from the sample", seen.failure)
    if not session.music.available:
        raise SelfTestFailure(f"music recommender missing: {getattr(session.music, 'reason', '')}")
    _wait(lambda: bool(session.analyst_name), timeout_s, "the analysis engine to load", seen.failure)
    if session.analyst_name == NO_LANGUAGE_MODEL and (ggufs := _gguf_files()):
        why = next((n for n in seen.notices if "Language model not loaded" in n), "no reason given")
        raise SelfTestFailure(f"the language model did not load although {ggufs[0]} is there: {why}")
    t_capture = time.monotonic()
    if not session.capture():
        raise SelfTestFailure("no mood could be captured from the sample")
    _wait(lambda: bool(seen.batches), timeout_s, "the analysis and the recommendations", seen.failure)
    if not seen.batches[-1].tracks:
        raise SelfTestFailure(f"the recommender returned no tracks: {seen.batches[-1].note}")
    _wait(lambda: window.view.frames_shown > 0, 10, "a frame in the view", seen.failure)
    if screenshot:   # a list that just arrived wraps its text over a few layout passes: grab it laid out
        _settle(lambda: _rows_laid_out(window), 3.0)
        window.grab().save(screenshot)
    return _report(parts, seen, path, t_start, t_capture)


def _report(parts, seen: _Observed, path: Path, t_start: float, t_capture: float) -> dict:
    """The self-test's JSON line: what the sample gave, which models ran, and how long each step took."""
    window, session, outputs, events = parts.window, parts.session, seen.outputs, seen.events
    last = outputs[-1].result
    classified = [o for o in outputs if o.result.timings.faces_classified]
    status, view = parts.controller.model_status, seen.analyses[-1]
    ms = lambda a, b: round((b - a) * 1000, 1)  # noqa: E731
    return {
        "ok": True,
        "sample": path.name,
        "faces": len(last.faces),
        "emotions": [f.emotion for f in last.faces],
        "confidences": [round(f.confidence, 3) for f in last.faces],
        "mood": session.captured_mood.dominant if session.captured_mood else None,
        "models": {"detector": status.detector, "emotion": status.emotion_name,
                   "analysis": session.analyst_name, "music": session.music.name},
        "analysis_source": view.source,
        "analysis_chars": len(view.text),
        "tracks": len(seen.batches[-1].tracks),
        "frames_shown": window.view.frames_shown,
        "frames_classified": len(outputs),
        "timings_ms": {
            "models_loaded": ms(t_start, events.get("models", t_start)),
            "detect_ms": round(sum(o.result.timings.detect_ms for o in outputs) / len(outputs), 2),
            "ms_per_face": round(sum(o.result.timings.ms_per_face for o in classified) / max(1, len(classified)), 2),
            "analysis": ms(t_capture, events.get("analysis", t_capture)),
            "recommendation": ms(events.get("analysis", t_capture), events.get("tracks", t_capture)),
            "total": ms(t_start, time.monotonic()),
        },
    }
