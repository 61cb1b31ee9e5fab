"""The main window: layout and wiring only. It receives everything it shows from app.py (the pipeline
controller, the mood session, the settings) and reacts to their signals; no model or device code lives here."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QMainWindow, QMessageBox, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from emotune import __version__
from emotune.capture import VideoSource, open_source
from emotune.capture.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from emotune.core.emotions import to_mapping
from emotune.gui import settings as keys
from emotune.gui.dialogs.settings_dialog import SettingsDialog
from emotune.gui.services.interfaces import AnalysisView, TrackBatch
from emotune.gui.services.session import MoodSession
from emotune.gui.settings import Settings
from emotune.gui.widgets.analysis_panel import AnalysisPanel
from emotune.gui.widgets.controls import Controls
from emotune.gui.widgets.emotion_bars import EmotionBars
from emotune.gui.widgets.mood_panel import MoodPanel
from emotune.gui.widgets.status_bar import StatusBar
from emotune.gui.widgets.track_list import TrackList
from emotune.gui.widgets.video_view import VideoView
from emotune.gui.workers.inference_worker import InferenceOutput, ModelStatus
from emotune.gui.workers.pipeline_controller import PipelineController
from emotune.gui.workers.tasks import TaskRunner

log = logging.getLogger(__name__)

SourceSpec = int | str
LOOKING = "Looking for a face…"


def _group(title: str, widget: QWidget, stretch: bool = True) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.addWidget(widget, 1 if stretch else 0)
    return box


class MainWindow(QMainWindow):
    """GUI thread. `start_source` is the one way a source starts (toolbar, file dialog, command line)."""

    settings_saved = Signal()               # the Settings dialog wrote new values (engines follow them)
    spotify_connect_requested = Signal()    # File → Connect Spotify…
    spotify_disconnect_requested = Signal()  # File → Disconnect Spotify

    def __init__(self, controller: PipelineController, session: MoodSession, settings: Settings,
                 tasks: TaskRunner, source_opener: Callable[[SourceSpec], VideoSource] = open_source,
                 camera_probe: Callable[[], list[int]] | None = None,
                 network_status: tuple[str, bool] = ("Offline: music from the built-in catalog", False)) -> None:
        super().__init__()
        self.controller, self.session, self.settings, self.tasks = controller, session, settings, tasks
        self._camera_probe = camera_probe
        self._source_opener = source_opener
        self.shutdown_hooks: list[Callable[[], object]] = []
        self.journal_view: QWidget | None = None   # the Journal tab, when the journal is attached
        self._source: SourceSpec | None = None
        self._closed = False
        self._halted = False   # the source failed, ended or was stopped: its message stays until a restart
        self.setWindowTitle("EmoTune")
        self.setMinimumSize(960, 640)

        self.controls = Controls(self)
        self.addToolBar(self.controls)
        self.view = VideoView(controller.slot)
        self.bars = EmotionBars()
        self.mood = MoodPanel()
        self.analysis = AnalysisPanel()
        self.tracks = TrackList(mode=session.mode)
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.status.set_network(*network_status)
        self.controls.auto.setChecked(session.auto)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.view)
        left.addWidget(_group("Main face", self.bars, stretch=False))
        left.setStretchFactor(0, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(_group("Mood", self.mood))
        right.addWidget(_group("Analysis", self.analysis))
        right.addWidget(_group("Tracks", self.tracks))
        right.setStretchFactor(2, 1)
        right.setSizes([290, 170, 410])
        live = QSplitter(Qt.Orientation.Horizontal)
        live.addWidget(left)
        live.addWidget(right)
        live.setStretchFactor(0, 3)
        live.setStretchFactor(1, 2)
        live.setSizes([700, 580])
        live.setChildrenCollapsible(False)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(live, "Live")
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self._wire()
        self._stats_timer = QTimer(self)
        self._stats_timer.timeout.connect(self._update_stats)
        self._stats_timer.start(500)
        self._ms_per_face: float | None = None
        geometry = settings.get(keys.GEOMETRY)
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1280, 800)

    # --- construction -------------------------------------------------------------------------------------------
    def add_tab(self, widget: QWidget, title: str) -> None:
        """The seam for other views (the journal plugs in here as a "Journal" tab)."""
        self.tabs.addTab(widget, title)

    def _build_menus(self) -> None:
        c = self.controls
        quit_action = QAction("Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        self.fullscreen_action = QAction("Full screen", self, shortcut=QKeySequence("F11"), checkable=True)
        self.fullscreen_action.toggled.connect(self._toggle_fullscreen)
        about = QAction("About EmoTune", self, triggered=self._about)
        self.spotify_action = QAction("Connect Spotify…", self)
        self.spotify_action.triggered.connect(lambda: self.spotify_connect_requested.emit())
        self.spotify_action.setToolTip("Log in with your own Spotify app (Client ID in Settings)")
        self.disconnect_action = QAction("Disconnect Spotify", self)
        self.disconnect_action.triggered.connect(lambda: self.spotify_disconnect_requested.emit())
        self.disconnect_action.setToolTip("Forget the Spotify login stored on this computer")
        self.disconnect_action.setEnabled(False)   # enabled while connected (engines.wire)
        for title, actions in (("&File", [c.open_action, c.settings_action, self.spotify_action,
                                          self.disconnect_action, None, quit_action]),
                               ("&Mood", [c.start_action, c.capture_action]),
                               ("&View", [self.fullscreen_action]), ("&Help", [about])):
            menu = self.menuBar().addMenu(title)
            for action in actions:
                menu.addSeparator() if action is None else menu.addAction(action)
        self.addAction(self.fullscreen_action)

    def _wire(self) -> None:
        c, s, ctl = self.controls, self.session, self.controller
        c.source_chosen.connect(self.start_source)
        c.open_file_requested.connect(self.open_file_dialog)
        c.start_stop_requested.connect(self.toggle_capture)
        c.capture_requested.connect(s.capture)
        c.auto_changed.connect(s.set_auto)
        c.manual_mood_changed.connect(self._on_manual)
        c.settings_requested.connect(self.open_settings)
        self.tracks.mode_changed.connect(s.set_mode)
        self.tracks.refresh_requested.connect(s.refresh)
        ctl.models_progress.connect(self.status.set_model_progress)
        ctl.models_ready.connect(self._on_models_ready)
        ctl.inference_error.connect(lambda text: self.status.showMessage(text, 10000))
        ctl.source_opened.connect(self._on_source_opened)
        ctl.source_failed.connect(self._on_source_failed)
        ctl.source_ended.connect(self._on_source_ended)
        ctl.running_changed.connect(self._on_running_changed)
        ctl.result.connect(self._on_result)
        s.notice.connect(lambda text: self.status.showMessage(text, 8000))
        s.analyst_loading.connect(lambda text: self.status.showMessage(text, 5000))
        s.analyst_ready.connect(lambda name: self.status.set_models(ctl.model_status, name))
        s.captured.connect(lambda mood: self.mood.show_mood(mood, add_to_timeline=False) if mood.manual else None)
        s.analysis_started.connect(lambda: self.analysis.begin("Reading your mood…"))
        s.analysis_text.connect(self.analysis.show_partial)
        s.analysis_done.connect(self._on_analysis)
        s.tracks_started.connect(self.tracks.set_busy)
        s.tracks_ready.connect(self._on_tracks)
        s.tracks_failed.connect(self.tracks.show_error)

    # --- sources ------------------------------------------------------------------------------------------------
    def start(self, source: SourceSpec | None) -> None:
        """First start: models load at once; the given source starts, else the camera search decides."""
        self.controller.start_models()
        self.session.load_analyst()
        self.status.set_models(None)
        if source is not None:
            self.start_source(source)
        else:
            self.view.set_message("Looking for cameras…")
        if self._camera_probe is not None:
            self.tasks.run(lambda report, cancel: self._camera_probe(), on_done=self._on_cameras,
                           on_error=lambda exc: self._on_cameras([]))

    @Slot(object)
    def start_source(self, spec: SourceSpec) -> None:
        self._source = spec
        self.controls.show_source(spec)
        if isinstance(spec, str):
            self.settings.set(keys.LAST_SOURCE, spec)
        self.session.reset()
        self.mood.reset()
        self._explain_no_emotions()
        self.bars.set_scores(None)
        self.view.clear()
        self._halted = False
        self.view.set_message(f"Opening {self.controls.source.currentText()}…")
        opener = self._source_opener
        self.controller.start(lambda: opener(spec))  # called in the capture thread

    @Slot()
    def toggle_capture(self) -> None:
        if self.controller.is_capturing():
            self.controller.stop()
            self._halted = True
            self.view.set_message("Stopped. Press Space to start again.")
        elif self._source is not None:
            self.start_source(self._source)
        else:
            self.open_file_dialog()

    @Slot()
    def open_file_dialog(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))
        start_dir = str(Path(self.settings.get(keys.LAST_SOURCE)).parent) if self.settings.get(keys.LAST_SOURCE) \
            else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open a video or image", start_dir,
                                              f"Videos and images ({patterns});;All files (*)")
        if path:
            self.start_source(path)
        elif self._source is not None:
            self.controls.show_source(self._source)

    def _on_cameras(self, indices: list[int]) -> None:
        if self._closed:
            return
        preferred = self.settings.get(keys.CAMERA_INDEX)
        self.controls.set_cameras(indices, preferred if preferred in indices else None)
        if self._source is not None:
            self.controls.show_source(self._source)
        elif indices:
            self.start_source(preferred if preferred in indices else indices[0])
        else:
            self.view.set_message("No camera found.\nConnect one and choose it above, or open a video or image "
                                  "with Ctrl+O.")
            self.status.showMessage("No camera found. You can still open a video or image (Ctrl+O).")

    @Slot(str, float)
    def _on_source_opened(self, description: str, fps: float) -> None:
        self.view.set_message("Loading the models…" if self.controller.model_status is None else LOOKING)
        self.status.set_capturing(True, description)

    @Slot(str, str, str)
    def _on_source_failed(self, kind: str, message: str, hint: str) -> None:
        self._halted = True
        retry = "\nPress Space (Start) to retry." if kind == "lost" else ""
        extra = "" if kind != "unavailable" or not isinstance(self._source, int) else \
            "\nOr open a video or image with Ctrl+O."
        self.view.set_message(f"{message}\n{hint}{extra if hint and 'file' not in hint else ''}{retry}".strip())
        self.status.showMessage(message, 15000)

    @Slot()
    def _on_source_ended(self) -> None:
        self._halted = True
        self.view.set_message("The video ended. Press Space to play it again, or open another file (Ctrl+O).")

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.controls.set_running(running)
        self.status.set_capturing(running, self.controller.source_description)

    # --- results ------------------------------------------------------------------------------------------------
    @Slot(object)
    def _on_models_ready(self, status: ModelStatus) -> None:
        self.status.set_models(status, self.session.analyst_name)
        if self.view.message() == "Loading the models…":
            self.view.set_message(LOOKING)
        if not status.emotion:
            self.bars.setToolTip(f"The emotion model is not loaded: {status.problem}")
            self._explain_no_emotions()

    def _explain_no_emotions(self) -> None:
        """Faces are found but no mood can be read: say why and what still works, instead of "No mood yet"."""
        status = self.controller.model_status
        if status is not None and not status.emotion:
            self.mood.show_waiting("The emotion model is not loaded, so faces get no mood. Choose “I feel: …” in "
                                   "the toolbar to set your mood by hand; analysis and music still work.")
            self.mood.detail.setToolTip(status.problem)

    @Slot(object)
    def _on_result(self, output: InferenceOutput) -> None:
        result = output.result
        self.view.set_faces(result.faces, result.frame.size, output.emotions)
        if not result.faces:
            if not self._halted:   # a result of a frame from before the source stopped keeps its message
                self.view.set_message(LOOKING)
            self.bars.set_scores(None)
        else:
            if not self._halted:
                self.view.set_message("")
            if output.emotions:
                self.bars.set_scores(to_mapping(result.faces[0].scores))
        if result.timings.faces_classified:
            self._ms_per_face = result.timings.ms_per_face
        if result.mood is not None and not self.session.manual:
            self.mood.show_mood(result.mood)
        self.session.on_mood(result.mood)

    def _on_manual(self, emotion: str) -> None:
        if not emotion and self.session.latest is not None:
            self.mood.show_mood(self.session.latest, add_to_timeline=False)
        self.session.set_manual(emotion)

    def _on_analysis(self, view: AnalysisView) -> None:
        self.analysis.finish(view)

    def _on_tracks(self, batch: TrackBatch) -> None:
        self.tracks.show_batch(batch)
        self.tracks.note.setToolTip(batch.detail)     # what the one-sentence note above the list leaves out

    def _update_stats(self) -> None:
        self.status.set_rates(self.view.fps(), self._ms_per_face, self.controller.slot.dropped)

    # --- dialogs and window ----------------------------------------------------------------------------------------
    @Slot()
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        counts = getattr(self.session.music, "genre_counts", None)   # loads the catalog: a worker's job
        if counts is not None:
            self.tasks.run(lambda report, cancel: counts(), on_done=dialog.show_genre_counts,
                           on_error=lambda exc: dialog.show_genre_error(str(exc)))
        else:
            dialog.show_genre_error("this music service has none")
        if dialog.exec():
            self.controller.inference_worker.set_interval(self.settings.get(keys.INFERENCE_INTERVAL_MS))
            self.status.showMessage("Settings saved.", 6000)
            self.settings_saved.emit()

    def _toggle_fullscreen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def _about(self) -> None:
        QMessageBox.about(self, "About EmoTune",
                          f"<b>EmoTune {__version__}</b><p>Your mood, read on your own computer, turned into "
                          "music. No frame, face or text leaves this machine.</p>")

    def shutdown(self) -> None:
        """Window close (also called by closeEvent): cancels every job and asks every thread to stop, without
        waiting for the capture or inference thread (a hung camera read must not freeze the close); they end
        on their own and `controller.stopped` says when. `Parts.shutdown` joins them after the event loop."""
        if self._closed:
            return
        self._closed = True
        self._stats_timer.stop()
        self.settings.set(keys.GEOMETRY, bytes(self.saveGeometry().data()))
        self.settings.sync()
        self.session.cancel_all()
        self.controller.shutdown()
        for hook in self.shutdown_hooks:
            hook()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
