"""The main window: layout and wiring only. It receives everything it shows from app.py (the pipeline
controller, the mood session, the settings) and reacts to their signals; no model or device code lives here."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QGroupBox, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from emotune.capture import VideoSource, open_source
from emotune.capture.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from emotune.core.emotions import to_mapping
from emotune.core.mood import MoodSnapshot
from emotune.gui import settings as keys
from emotune.gui.accessibility import name_controls
from emotune.gui.dialogs.settings_dialog import SettingsDialog
from emotune.gui.menus import build_menus
from emotune.gui.services.interfaces import AnalysisView, TrackBatch
from emotune.gui.services.session import MoodSession
from emotune.gui.services.source_plan import SourcePlan
from emotune.gui.settings import Settings
from emotune.gui.style import readable_palette
from emotune.gui.widgets.analysis_panel import AnalysisPanel
from emotune.gui.widgets.controls import Controls
from emotune.gui.widgets.emotion_bars import EmotionBars
from emotune.gui.widgets.mood_panel import MoodPanel
from emotune.gui.widgets.photo_steps import PhotoStepBar
from emotune.gui.widgets.status_bar import StatusBar
from emotune.gui.widgets.track_list import TrackList
from emotune.gui.widgets.video_view import VideoView
from emotune.gui.workers.inference_worker import InferenceOutput, ModelStatus
from emotune.gui.workers.pipeline_controller import PipelineController
from emotune.gui.workers.tasks import TaskRunner

log = logging.getLogger(__name__)

SourceSpec = int | str
LOOKING = "Looking for a face…"
MINIMUM_SIZE = (1024, 640)    # everything still shows and works (tests/test_gui_layout.py)
DEFAULT_SIZE = (1440, 900)    # four tracks or more in view; shrunk to fit a smaller screen


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
        self.spotify_login: QWidget | None = None  # the last File → Connect Spotify… window (engines.wire)
        self._source: SourceSpec | None = None
        self.plan: SourcePlan | None = None   # what the source is (a photo, a folder's photo, …): the words follow
        self._closed = False
        self._halted = False   # the source failed, ended or was stopped: its message stays until a restart
        self._ended = False    # it was read to its end (a photo: analysed)
        self._faces_seen = False   # a face was found since the source (or photo) started
        self.setWindowTitle("EmoTune")
        self.setMinimumSize(*MINIMUM_SIZE)
        self.setPalette(readable_palette(self.palette()))   # grey text passes WCAG AA (4.5:1)

        self.controls = Controls(self)
        self.addToolBar(self.controls)
        self.view = VideoView(controller.slot)
        self.photo_bar = PhotoStepBar()
        self.bars = EmotionBars()
        self.mood = MoodPanel()
        self.analysis = AnalysisPanel()
        self.tracks = TrackList(mode=session.mode, player=settings.get(keys.PLAY_ON))
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.status.set_network(*network_status)
        self.controls.auto.setChecked(session.auto)

        # three columns: the picture, the mood and its analysis, the tracks (full height: four or more in view)
        left = QSplitter(Qt.Orientation.Vertical)
        picture = QWidget()
        picture_layout = QVBoxLayout(picture)
        picture_layout.setContentsMargins(0, 0, 0, 0)
        picture_layout.addWidget(self.view, 1)
        picture_layout.addWidget(self.photo_bar)
        left.addWidget(picture)
        left.addWidget(_group("Main face", self.bars, stretch=False))
        left.setStretchFactor(0, 1)
        left.setChildrenCollapsible(False)
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(_group("Mood", self.mood))
        middle.addWidget(_group("Analysis", self.analysis))
        middle.setSizes([400, 300])
        middle.setChildrenCollapsible(False)
        tracks = _group("Tracks", self.tracks)
        live = QSplitter(Qt.Orientation.Horizontal)
        for column, stretch in ((left, 4), (middle, 3), (tracks, 4)):
            live.addWidget(column)
            live.setStretchFactor(live.count() - 1, stretch)
        live.setSizes([440, 360, 440])
        live.setChildrenCollapsible(False)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setAccessibleName("Pages: Live and Journal")
        self.tabs.addTab(live, "&Live")
        self.setCentralWidget(self.tabs)
        acts = build_menus(self, self.controls, open_folder=self.open_folder_dialog,
                           toggle_fullscreen=self._toggle_fullscreen, connect=self.spotify_connect_requested.emit,
                           disconnect=self.spotify_disconnect_requested.emit, settings_path=lambda: settings.path)
        self.open_folder_action, self.fullscreen_action = acts.open_folder, acts.fullscreen
        self.spotify_action, self.disconnect_action = acts.spotify, acts.disconnect
        self.help_actions, self.shortcut_actions = acts.help, acts.shortcuts
        self._wire()
        self._stats_timer = QTimer(self)
        self._stats_timer.timeout.connect(self._update_stats)
        self._stats_timer.start(500)
        self._ms_per_face: float | None = None
        geometry = settings.get(keys.GEOMETRY)
        if not geometry or not self.restoreGeometry(QByteArray(geometry)):
            self.resize(*self._default_size())
        name_controls(self)

    def _default_size(self) -> tuple[int, int]:
        """DEFAULT_SIZE, or the screen's free area when that is smaller (never below the minimum)."""
        screen = self.screen().availableGeometry() if self.screen() else None
        w, h = DEFAULT_SIZE
        if screen is not None:
            w, h = min(w, screen.width()), min(h, screen.height())
        return max(w, MINIMUM_SIZE[0]), max(h, MINIMUM_SIZE[1])

    # --- construction -------------------------------------------------------------------------------------------
    def add_tab(self, widget: QWidget, title: str) -> None:
        """The seam for other views (the journal plugs in here as a "Journal" tab)."""
        self.tabs.addTab(widget, title)
        name_controls(widget)

    def _wire(self) -> None:
        c, s, ctl = self.controls, self.session, self.controller
        c.source_chosen.connect(self.start_source)
        c.open_file_requested.connect(self.open_file_dialog)
        c.open_folder_requested.connect(self.open_folder_dialog)
        c.start_stop_requested.connect(self.toggle_capture)
        c.capture_requested.connect(s.capture)
        c.auto_changed.connect(s.set_auto)
        c.manual_mood_changed.connect(self._on_manual)
        c.settings_requested.connect(self.open_settings)
        self.tracks.mode_changed.connect(s.set_mode)
        self.tracks.refresh_requested.connect(s.refresh)
        self.tracks.message.connect(lambda text: self.status.showMessage(text, 8000))
        self.tracks.player_changed.connect(lambda player: self.settings.set(keys.PLAY_ON, player))
        self.photo_bar.step_requested.connect(self.step_photo)
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
        self.plan = SourcePlan.of(spec)
        self.controls.show_source(spec)
        if isinstance(spec, str):
            self.settings.set(keys.LAST_SOURCE, spec)
        self._start_run()

    @Slot(int)
    def step_photo(self, delta: int) -> None:
        """The previous (-1) or next (+1) photo of the folder that is open."""
        plan = self.plan.stepped(delta) if self.plan is not None else None
        if plan is not None:
            self.plan = plan
            self._start_run()

    def _start_run(self) -> None:
        """Reads the current source (or photo of a folder) from its start, with a fresh mood."""
        plan = self.plan
        self.session.reset()
        self.mood.reset()
        self.mood.set_still(plan.is_photo)
        self._explain_no_emotions()
        self.bars.set_scores(None)
        self.view.clear()
        self._halted = self._ended = self._faces_seen = False
        self.photo_bar.show_plan(plan)
        name = Path(plan.target).name if plan.is_folder else self.controls.source.currentText()
        self.view.set_message(f"Opening {name}…")
        opener, target = self._source_opener, plan.target
        self.controller.start(lambda: opener(target))  # called in the capture thread

    @Slot()
    def toggle_capture(self) -> None:
        if self.controller.is_capturing():
            self.controller.stop()
            self._halted = True
            self.view.set_message("Stopped. Press Space to start again.")
        elif self._source is not None:
            self._start_run()
        else:
            self.open_file_dialog()

    @Slot()
    def open_file_dialog(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self, "Open a video or image", self._start_dir(),
                                              f"Videos and images ({patterns});;All files (*)")
        self._open_chosen(path)

    @Slot()
    def open_folder_dialog(self) -> None:
        """A folder of photos: they are read one after the other (the README's promise)."""
        self._open_chosen(QFileDialog.getExistingDirectory(self, "Open a folder of photos", self._start_dir()))

    def _start_dir(self) -> str:
        last = self.settings.get(keys.LAST_SOURCE)
        return str(Path(last).parent) if last else str(Path.home())

    def _open_chosen(self, path: str) -> None:
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
        self._show_capture_light(True, description)

    @Slot(str, str, str)
    def _on_source_failed(self, kind: str, message: str, hint: str) -> None:
        self._halted = True
        retry = "\nPress Space (Start) to retry." if kind == "lost" else ""
        extra = "" if kind != "unavailable" or not isinstance(self._source, int) else \
            "\nOr open a video or image with Ctrl+O."
        self.view.set_message(f"{message}\n{hint}{extra if hint and 'file' not in hint else ''}{retry}".strip())
        self.status.showMessage(message, 15000)
        self.mood.show_unreadable(f"No mood: {message[:1].lower()}{message[1:]}")

    @Slot()
    def _on_source_ended(self) -> None:
        self._halted = self._ended = True
        self.view.set_message(self.plan.ended_message(found_face=self._faces_seen))
        if self.plan.is_photo:   # the light turns with the message, not a moment later when the thread ends
            self._show_capture_light(False, self.controller.source_description)
            if not self._faces_seen:   # not "Looking for a face…" under a photo read to its end
                self.mood.show_waiting("No face found in this photo.")

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.controls.set_running(running)
        self._show_capture_light(running, self.controller.source_description)

    def _show_capture_light(self, running: bool, description: str) -> None:
        self.status.set_capturing(running, description)
        if self.plan is not None and self.plan.is_photo and (running or self._ended):   # read, then analysed
            self.status.camera.setText(f"● Reading {Path(self.plan.target).name}" if running else
                                       "✓ Photo analysed" if self._faces_seen else "○ No face found")

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
            self._faces_seen = True
            if not self._halted:
                self.view.set_message("")
            if output.emotions:
                self.bars.set_scores(to_mapping(result.faces[0].scores))
        if result.timings.faces_classified:
            self._ms_per_face = result.timings.ms_per_face
        if result.mood is not None:   # under a hand-set mood too: the panel keeps both (mood_panel.py)
            self.mood.show_mood(result.mood)
        self.session.on_mood(result.mood)

    def _on_manual(self, emotion: str) -> None:
        self.mood.set_manual(MoodSnapshot.manual_mood(emotion) if emotion else None)
        self.session.set_manual(emotion)

    def _on_analysis(self, view: AnalysisView) -> None:
        self.analysis.finish(view)

    def _on_tracks(self, batch: TrackBatch) -> None:
        self.tracks.show_batch(batch)
        self.tracks.note.setToolTip(batch.detail)     # what the one-sentence note above the list leaves out

    def _update_stats(self) -> None:
        fps = 0.0 if self.plan is not None and self.plan.is_photo else self.view.fps()   # a photo has none
        self.status.set_rates(fps, self._ms_per_face, self.controller.slot.dropped)

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
