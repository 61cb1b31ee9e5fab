"""The composition root: the one place that constructs the window's parts and wires them together.

Everything the window uses is passed in here (settings, source opener, camera probe, detector and classifier
factories, analysis and music services), so tests and the self-test swap any of them through the same
interfaces the app uses. The adapters to the LLM and music engines live in `engines.py`, and
`engine_wiring.py` keeps them in step with Settings and the Spotify actions.
"""
from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from emotune import __version__
from emotune.appdirs import AppDirs
from emotune.capture import VideoSource, list_cameras, open_source
from emotune.gui import settings as keys
from emotune.gui.crash import CrashReporter
from emotune.gui.gui_thread_gc import GuiThreadCollector
from emotune.gui.main_window import MainWindow
from emotune.gui.presenters.source_presenter import SourceSpec
from emotune.gui.services.interfaces import AnalysisService, MusicService
from emotune.gui.services.session import MoodSession
from emotune.gui.settings import Settings
from emotune.gui.workers.inference_worker import InferenceWorker
from emotune.gui.workers.pipeline_controller import PipelineController
from emotune.gui.workers.tasks import TaskRunner
from emotune.inference.classifier import EmotionClassifier
from emotune.resources import asset_path
from emotune.vision.detection import FaceDetector
from emotune.vision.factory import default_detector

log = logging.getLogger(__name__)


def default_classifier() -> EmotionClassifier:
    """The shipped emotion model through ONNX Runtime (imported here, in the inference thread, so the runtime
    loads there); no TensorFlow in the app."""
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier

    return OnnxEmotionClassifier()


@dataclass
class Parts:
    """What `build` made; tests reach into it, `shutdown` stops all of it."""

    window: MainWindow
    controller: PipelineController
    session: MoodSession
    settings: Settings
    runners: list[TaskRunner] = field(default_factory=list)
    journal: object | None = None          # the JournalBridge, when the journal is attached
    genres: Callable[[], tuple[str, ...]] = tuple
    phrase_check: Callable[[str, float], bool] | None = None
    wiring: object | None = None           # the EngineWiring that keeps the engines in step with Settings

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Closes the window's work and joins every thread; True if all ended in time. Blocks: for after the
        event loop (app exit), scripts and tests, not while the window is shown."""
        self.window.shutdown()
        if self.controller.wait(timeout_ms):
            return True
        log.error("threads still running %d ms after the window closed: %s", timeout_ms,
                  self.controller.threads_running())
        return False

    def threads_running(self) -> list[str]:
        runners = self.runners + ([self.journal.runner] if self.journal is not None else [])
        busy = [r.name for r in runners if r.pool.activeThreadCount()]
        return self.controller.threads_running() + busy


def build(settings: Settings, *, dirs: AppDirs | None = None,
          source_opener: Callable[[SourceSpec], VideoSource] = open_source,
          camera_probe: Callable[[], list[int]] | None = list_cameras,
          detector_factory: Callable[[], FaceDetector] = default_detector,
          classifier_factory: Callable[[], EmotionClassifier] = default_classifier,
          analyst: AnalysisService | None = None, music: MusicService | None = None,
          journal: bool = True) -> Parts:
    """Builds the window and its workers (nothing starts until `window.start`). GUI thread.
    `journal=False` leaves the journal out entirely (no tab); otherwise the tab is there and the Settings
    switch decides whether anything is recorded."""
    from emotune.gui.services import engines
    from emotune.gui.services.engine_wiring import EngineWiring

    dirs = dirs or AppDirs.default()
    prefs = settings.preferences()
    music = music or engines.make_music(prefs, dirs)
    holder: dict[str, MoodSession] = {}

    def genres() -> tuple[str, ...]:   # the catalog's genres for the LLM (LLM thread; loads the catalog once)
        current = holder["session"].music if "session" in holder else music
        return tuple(current.genres()) if hasattr(current, "genres") else ()

    def phrase_check(phrase: str, valence: float) -> bool:   # the catalog backs a search phrase (LLM thread)
        current = holder["session"].music if "session" in holder else music
        return current.phrase_check(phrase, valence) if hasattr(current, "phrase_check") else True

    analyst = analyst or engines.make_analyst(prefs, dirs, genres=genres)
    engines.plug_phrases(analyst, phrase_check)
    interval = settings.get(keys.INFERENCE_INTERVAL_MS)
    controller = PipelineController(
        lambda slot: InferenceWorker(detector_factory, classifier_factory, slot, interval_ms=interval))
    llm_tasks, music_tasks, misc_tasks = TaskRunner("llm", 1), TaskRunner("music", 1), TaskRunner("misc", 2)
    session = MoodSession(analyst, music, settings, llm_tasks, music_tasks)
    holder["session"] = session
    window = MainWindow(controller, session, settings, misc_tasks, source_opener=source_opener,
                        camera_probe=camera_probe, network_status=engines.network_status(music))
    parts = Parts(window, controller, session, settings, [llm_tasks, music_tasks, misc_tasks], genres=genres,
                  phrase_check=phrase_check)
    window.shutdown_hooks.append(lambda: session.close_analyst(wait=True))   # after cancel_all, before the pools
    for runner in parts.runners:
        window.shutdown_hooks.append(runner.shutdown)
    if journal:
        from emotune.gui.widgets.journal.view import JournalView

        parts.journal = engines.attach_journal(window, session, dirs, JournalView,
                                               enabled=settings.get(keys.JOURNAL_ENABLED))
    parts.wiring = EngineWiring(parts, dirs)
    return parts


def single_threaded_opencv() -> None:
    """OpenCV work in the window is small (one 640×480 frame at a time), and between jobs OpenCV's own pool
    threads wait by spinning (sched_yield): with them the window burnt 0.036 CPU s/s more (docs/gui.md). The
    window's threads already run capture, inference and drawing side by side."""
    import cv2

    cv2.setNumThreads(1)


def make_qapplication(argv: list[str] | None = None) -> QApplication:
    """The QApplication with names, icon and DPI policy set, and Python's cycle collector moved to its thread
    (gui_thread_gc). Call once, before any widget."""
    app = QApplication.instance()
    if app is not None:
        return app
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName("EmoTune")
    QCoreApplication.setApplicationName("EmoTune")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setDesktopFileName("emotune")
    single_threaded_opencv()
    GuiThreadCollector(app).start()   # owned by the app: collects on the GUI thread for as long as it lives
    icon = asset_path("emotune.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def parse_source(text: str | None) -> SourceSpec | None:
    if text is None or text == "":
        return None
    return int(text) if text.strip().isdigit() else os.path.abspath(os.path.expanduser(text))


def run_gui(source: str | None = None, verbose: bool = False) -> int:
    """`emotune gui`: the window until the user closes it."""
    try:
        from emotune.logging_setup import setup_app_logging

        setup_app_logging(verbose=verbose)
    except ImportError:
        pass
    app = make_qapplication()
    crash = CrashReporter().install()
    dirs = AppDirs.default().ensure()
    settings = Settings.for_user(dirs)
    parts = build(settings, dirs=dirs)
    parts.window.show()
    parts.window.start(parse_source(source))
    try:
        return app.exec()
    finally:
        parts.shutdown()
        crash.uninstall()
