"""The mood session's side of the window: the toolbar's Capture and Auto, and what the session hands back (the
captured mood, the analysis as it is written, the tracks), plus the track list's choices. GUI thread."""
from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from emotune.core.mood import MoodSnapshot
from emotune.gui import settings as keys
from emotune.gui.services.interfaces import TrackBatch
from emotune.gui.services.session import MoodSession
from emotune.gui.settings import Settings
from emotune.gui.widgets.analysis_panel import AnalysisPanel
from emotune.gui.widgets.controls import Controls
from emotune.gui.widgets.mood_panel import MoodPanel
from emotune.gui.widgets.track_list import TrackList


class SessionPresenter(QObject):
    """Only wiring: the session decides when to analyse and fetch; the panels show what it sends."""

    def __init__(self, session: MoodSession, settings: Settings, controls: Controls, mood: MoodPanel,
                 analysis: AnalysisPanel, tracks: TrackList, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mood, self.tracks = mood, tracks
        controls.auto.setChecked(session.auto)
        controls.capture_requested.connect(session.capture)
        controls.auto_changed.connect(session.set_auto)
        tracks.mode_changed.connect(session.set_mode)
        tracks.refresh_requested.connect(session.refresh)
        tracks.player_changed.connect(lambda player: settings.set(keys.PLAY_ON, player))
        session.captured.connect(self._on_captured)
        session.analysis_started.connect(lambda: analysis.begin("Reading your mood…"))
        session.analysis_text.connect(analysis.show_partial)
        session.analysis_done.connect(analysis.finish)
        session.tracks_started.connect(tracks.set_busy)
        session.tracks_ready.connect(self._on_tracks)
        session.tracks_failed.connect(tracks.show_error)

    @Slot(object)
    def _on_captured(self, snapshot: MoodSnapshot) -> None:
        if snapshot.manual:   # a hand-set mood that was captured: the panel shows it, off the timeline
            self.mood.show_mood(snapshot, add_to_timeline=False)

    @Slot(object)
    def _on_tracks(self, batch: TrackBatch) -> None:
        self.tracks.show_batch(batch)
        self.tracks.note.setToolTip(batch.detail)     # what the one-sentence note above the list leaves out
