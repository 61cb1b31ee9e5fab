"""Connects the window to the mood journal: sessions, moods, analyses, tracks shown and feedback go in, the
Journal tab and the recommender's feedback boosts come out.

Why a bridge with its own one-thread pool: SQLite work (opening and migrating the file, every write) must never
run on the GUI thread, and the recorder is not thread-safe, so every journal call is a job in one serial pool
(the Journal tab's queries share it). Results and errors come back by signal; a broken journal only costs a
status-bar line, never a crash or a lost frame.
"""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, Signal

from emotune.core.errors import user_text
from emotune.core.feedback import FeedbackBoosts
from emotune.core.mood import MoodSnapshot
from emotune.gui.services.interfaces import AnalysisView, TrackBatch, TrackItem
from emotune.gui.workers.tasks import TaskRunner

log = logging.getLogger(__name__)


class JournalBridge(QObject):
    """GUI thread for the public methods; the store and recorder are used only inside the pool's jobs (and
    `boosts`, which the thread-safe store answers from the music thread)."""

    opened = Signal(object)      # JournalStore, once it is open
    closed = Signal()
    problem = Signal(str)        # user text: locked, read-only, disk full, moved aside
    written = Signal(str)        # what was just stored ("feedback", "tracks", …), for the tab and tests

    def __init__(self, dirs, runner: TaskRunner | None = None, *, opener: Callable | None = None,
                 interval_s: float = 5.0) -> None:
        super().__init__()
        self.dirs = dirs
        self.runner = runner or TaskRunner("journal", 1)
        self._opener = opener
        self.interval_s = interval_s
        self.store = None
        self.recorder = None
        self.enabled = False
        self._closing = False
        self._feedback_ids: dict[tuple[str, str], int] = {}   # (track, kind) → its row, for Undo (journal thread)

    # --- lifecycle ----------------------------------------------------------------------------------------
    def open(self) -> None:
        """Opens (creating or migrating) the journal in the pool."""
        self.enabled = True

        def job(report, cancel):
            from emotune.journal import JournalRecorder, JournalStore

            store = (self._opener or JournalStore.open)(self.dirs)
            self.store = store
            self.recorder = JournalRecorder(store, interval_s=self.interval_s,
                                            on_error=lambda exc: self.problem.emit(exc.user_text))
            return store

        self.runner.run(job, on_done=self._on_open, on_error=self._failed)

    def _on_open(self, store) -> None:
        if not self.enabled or store is not self.store:   # switched off (or reopened) while it was opening
            return
        if store.notice:
            self.problem.emit(store.notice)
        self.opened.emit(store)

    def set_enabled(self, on: bool) -> None:
        """The Settings switch: on opens the journal, off ends the session and closes it."""
        if on and not self.enabled:
            self.open()
        elif not on and self.enabled:
            self.enabled = False
            self.runner.run(lambda report, cancel: self._close_now(), on_done=lambda _r: self.closed.emit(),
                            on_error=self._failed)

    def _close_now(self) -> None:
        recorder, store = self.recorder, self.store
        self.recorder = self.store = None
        if recorder is not None:
            recorder.close()
        if store is not None:
            store.close()

    def shutdown(self) -> None:
        """Writes the pending snapshot, ends the session, closes the file and joins the pool (window close)."""
        if self._closing:
            return
        self._closing = True
        self.runner.run(lambda report, cancel: self._close_now())
        self.runner.pool.waitForDone(30000)
        self.runner.shutdown()

    # --- what goes in (GUI thread; the work runs in the pool) -----------------------------------------------
    def start_session(self, source: str) -> None:
        self._submit(lambda: self.recorder and self.recorder.start_session(source))

    def end_session(self) -> None:
        self._submit(lambda: self.recorder and self.recorder.end_session())

    def record_mood(self, mood: MoodSnapshot) -> None:
        self._submit(lambda: self.recorder and self.recorder.record(mood))

    def record_analysis(self, view: AnalysisView) -> None:
        if view.source == "summary" and not view.text:
            return

        def write():
            if self.store is not None:
                self.store.record_analysis(view.text, mood=view.label, source=view.source,
                                           session_id=self._session_id())
        self._submit(write, "analysis")

    def record_tracks(self, batch: TrackBatch, mood: MoodSnapshot | None, mode: str) -> None:
        if not batch.tracks or mood is None:
            return

        def write():
            if self.store is not None:
                self.store.record_tracks_shown(batch.tracks, mood=mood.dominant, mode=mode,
                                               session_id=self._session_id())
        self._submit(write, "tracks")

    def record_feedback(self, item: TrackItem, kind: str, mood: MoodSnapshot | None) -> bool:
        """A like, skip or "not for this mood" for `item` in the captured mood; False when there is none."""
        if mood is None:
            return False

        def write():
            if self.store is None:
                raise RuntimeError("the mood journal is off, so feedback is not kept. Turn it on in Settings.")
            self._feedback_ids[(item.track_id, kind)] = self.store.record_feedback(
                item.track_id, [a.strip() for a in item.artist.split(",")], mood.dominant, kind, title=item.title,
                session_id=self._session_id())
        self._submit(write, "feedback")
        return True

    def undo_feedback(self, item: TrackItem, kind: str) -> None:
        """Removes the feedback just given for `item` (Undo on its row), so the next lists no longer follow it.
        Runs after the write it undoes (one journal thread, in order)."""
        def write():
            feedback_id = self._feedback_ids.pop((item.track_id, kind), None)
            if feedback_id is not None and self.store is not None:
                self.store.delete_feedback(feedback_id)
        self._submit(write, "feedback")

    # --- what comes out -------------------------------------------------------------------------------------
    def boosts(self, mood: str) -> FeedbackBoosts | None:
        """The user's feedback for `mood` as ranking boosts (music thread; the store is thread-safe)."""
        store = self.store
        if store is None or not self.enabled:
            return None
        from emotune.journal import JournalError

        try:
            return store.boosts_for(mood)
        except JournalError as exc:
            log.warning("no feedback boosts: %s", exc.user_text)
            return None

    def recent_summary(self, days: float):
        """The journal's summary of the last `days` days, or None when it is off or not open (LLM thread, for
        an analysis the user allowed to read it; the store is thread-safe)."""
        store = self.store
        if store is None or not self.enabled:
            return None
        return store.recent_summary(days)

    # --- plumbing -------------------------------------------------------------------------------------------
    def _session_id(self) -> int | None:
        return self.recorder.session_id if self.recorder is not None else None

    def _submit(self, call: Callable[[], object], what: str = "") -> None:
        if self._closing:
            return
        self.runner.run(lambda report, cancel: call(),
                        on_done=(lambda _r: self.written.emit(what)) if what else None, on_error=self._failed)

    def _failed(self, exc: Exception) -> None:
        text = user_text(exc, "The mood journal failed")
        log.warning("journal: %s", text)
        self.problem.emit(text)
