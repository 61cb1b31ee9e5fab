"""The main window: it builds the layout, hands each panel's presenter (presenters/) its parts, and handles what
belongs to the window itself: menus, the Settings dialog, full screen, geometry and close. It receives everything
it shows from app.py (the pipeline controller, the mood session, the settings); no model or device code lives
here."""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QByteArray, Signal, Slot
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from emotune.capture import VideoSource, open_source
from emotune.gui import settings as keys
from emotune.gui.accessibility import name_controls
from emotune.gui.dialogs.settings_dialog import SettingsDialog
from emotune.gui.dialogs.spotify_login import SpotifyLoginDialog
from emotune.gui.menus import build_menus
from emotune.gui.presenters.mood_presenter import MoodPresenter
from emotune.gui.presenters.session_presenter import SessionPresenter
from emotune.gui.presenters.source_presenter import SourcePresenter, SourceSpec
from emotune.gui.presenters.status_presenter import StatusPresenter
from emotune.gui.services.session import MoodSession
from emotune.gui.settings import Settings
from emotune.gui.style import readable_palette
from emotune.gui.widgets.analysis_panel import AnalysisPanel
from emotune.gui.widgets.controls import Controls
from emotune.gui.widgets.emotion_bars import EmotionBars
from emotune.gui.widgets.live_page import build_live_page
from emotune.gui.widgets.mood_panel import MoodPanel
from emotune.gui.widgets.photo_steps import PhotoStepBar
from emotune.gui.widgets.status_bar import StatusBar
from emotune.gui.widgets.track_list import TrackList
from emotune.gui.widgets.video_view import VideoView
from emotune.gui.workers.pipeline_controller import PipelineController
from emotune.gui.workers.tasks import TaskRunner

log = logging.getLogger(__name__)

MINIMUM_SIZE = (1024, 640)    # everything still shows and works (tests/test_gui_layout.py)
DEFAULT_SIZE = (1440, 900)    # four tracks or more in view; shrunk to fit a smaller screen


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
        self.shutdown_hooks: list[Callable[[], object]] = []
        self.journal_view: QWidget | None = None   # the Journal tab, when the journal is attached
        self.spotify_login: SpotifyLoginDialog | None = None  # the last File → Connect Spotify… window
        self._closed = False
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
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setAccessibleName("Pages: Live and Journal")
        self.tabs.addTab(build_live_page(self.view, self.photo_bar, self.bars, self.mood, self.analysis,
                                         self.tracks), "&Live")
        self.setCentralWidget(self.tabs)
        # each panel's presenter wires it to the controller and the session (presenters/)
        self.sources = SourcePresenter(self, self.controls, self.view, self.photo_bar, self.status, controller,
                                       session, settings, tasks, source_opener, camera_probe)
        self.moods = MoodPresenter(self.mood, self.bars, self.controls, controller, session, self)
        self.sources.run_started.connect(self.moods.new_run)
        self.sources.photo_without_face.connect(self.moods.no_face_in_photo)
        self.session_panels = SessionPresenter(session, settings, self.controls, self.mood, self.analysis,
                                               self.tracks, self)
        self.stats = StatusPresenter(self.status, self.view, self.tracks, controller, session,
                                     self.sources.is_still, self)
        self.controls.settings_requested.connect(self.open_settings)
        acts = build_menus(self, self.controls, open_folder=self.sources.open_folder_dialog,
                           toggle_fullscreen=self._toggle_fullscreen, connect=self.spotify_connect_requested.emit,
                           disconnect=self.spotify_disconnect_requested.emit, settings_path=lambda: settings.path)
        self.open_folder_action, self.fullscreen_action = acts.open_folder, acts.fullscreen
        self.spotify_action, self.disconnect_action = acts.spotify, acts.disconnect
        self.help_actions, self.shortcut_actions = acts.help, acts.shortcuts
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

    # --- sources (SourcePresenter owns them; these are the window's commands) --------------------------------------
    def start(self, source: SourceSpec | None) -> None:
        """First start: models load at once; the given source starts, else the camera search decides."""
        self.controller.start_models()
        self.session.load_analyst()
        self.status.set_models(None)
        self.sources.start(source)

    def start_source(self, spec: SourceSpec) -> None:
        self.sources.start_source(spec)

    def toggle_capture(self) -> None:
        self.sources.toggle_capture()

    def _update_stats(self) -> None:
        self.stats.update_stats()

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

    def open_spotify_login(self) -> SpotifyLoginDialog:
        """File → Connect Spotify…'s window, which shows where to log in; EngineWiring runs the login and tells
        it how it went."""
        self.spotify_login = SpotifyLoginDialog(self)
        return self.spotify_login

    def _toggle_fullscreen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def shutdown(self) -> None:
        """Window close (also called by closeEvent): cancels every job and asks every thread to stop, without
        waiting for the capture or inference thread (a hung camera read must not freeze the close); they end
        on their own and `controller.stopped` says when. `Parts.shutdown` joins them after the event loop."""
        if self._closed:
            return
        self._closed = True
        self.stats.stop()
        self.sources.shutdown()
        self.settings.set(keys.GEOMETRY, bytes(self.saveGeometry().data()))
        self.settings.sync()
        self.session.cancel_all()
        self.controller.shutdown()
        for hook in self.shutdown_hooks:
            hook()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
