"""The mood session: keeps the mood history, the manual override and the captured mood, and turns "Capture
mood", refresh, the mode switch and auto mode into analysis and recommendation jobs.

Why its own object: the window stays layout and wiring, and this logic is tested without any widget. Jobs run
through TaskRunners (the LLM's has one thread, so analyses never overlap); a newer request cancels an older one
and results of superseded requests are dropped.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

from PySide6.QtCore import QObject, Signal

from emotune.core.history import MoodHistory
from emotune.core.mood import MoodSnapshot
from emotune.gui import settings as keys
from emotune.gui.services.auto_refresh import AutoRefreshPolicy
from emotune.gui.services.interfaces import (AnalysisRequest, AnalysisService, AnalysisView, MusicService,
                                             SummaryAnalyst, TrackBatch)
from emotune.gui.settings import Settings
from emotune.gui.workers.tasks import TaskHandle, TaskRunner

log = logging.getLogger(__name__)

NO_LANGUAGE_MODEL = "no language model"   # the analyst name while the plain summary stands in for the LLM


class MoodSession(QObject):
    """GUI thread."""

    notice = Signal(str)                 # a short message for the status bar
    analyst_loading = Signal(str)        # progress text while the LLM loads
    analyst_ready = Signal(str)          # what was loaded ("SmolLM2-135M", "mood summary")
    mood_recorded = Signal(object)       # MoodSnapshot, at most one per `record_every_s` (journal hook)
    captured = Signal(object)            # MoodSnapshot the music is fetched for
    analysis_started = Signal()
    analysis_text = Signal(str)          # the analysis written so far (grows while the model writes)
    analysis_done = Signal(object)       # AnalysisView
    tracks_started = Signal()
    tracks_ready = Signal(object)        # TrackBatch
    tracks_failed = Signal(str)

    def __init__(self, analyst: AnalysisService, music: MusicService, settings: Settings, llm_tasks: TaskRunner,
                 music_tasks: TaskRunner, clock: Callable[[], float] = time.monotonic,
                 history_s: float = 300.0, record_every_s: float = 1.0) -> None:
        super().__init__()
        self.analyst, self.music, self.settings = analyst, music, settings
        self._llm, self._music_tasks, self._clock = llm_tasks, music_tasks, clock
        self.history = MoodHistory(max_age_s=history_s)
        self.record_every_s = record_every_s
        self.latest: MoodSnapshot | None = None
        self.manual: str = ""
        self.captured_mood: MoodSnapshot | None = None
        self.analysis: AnalysisView | None = None
        self.auto = settings.get(keys.AUTO_MODE)
        self.mode = settings.get(keys.MODE) if settings.get(keys.MODE) in keys.MODES else "match"
        self.policy = AutoRefreshPolicy()
        self.analyst_name = ""
        self._last_record = -1e9
        self._analysis_job: TaskHandle | None = None
        self._load_job: TaskHandle | None = None    # loading the model and evaluating its prompt: minutes for a 7B
        self._music_job: TaskHandle | None = None
        self._request = 0
        self._music_token: object | None = None

    # --- models ----------------------------------------------------------------------------------------------
    def set_analyst(self, analyst: AnalysisService) -> None:
        """A new analysis engine (another model file chosen in Settings); call `load_analyst` next."""
        for job in (self._load_job, self._analysis_job):
            if job is not None:
                job.cancel()
        old, self.analyst = self.analyst, analyst
        self.analyst_name = ""
        self.close_analyst(old)

    def close_analyst(self, analyst: AnalysisService | None = None, wait: bool = False) -> None:
        """Frees a model in the LLM pool (the thread that used it); `wait` joins it (window close)."""
        closer = getattr(analyst or self.analyst, "close", None)
        if closer is not None:
            self._llm.run(lambda report, cancel: closer())
        if wait:
            self._llm.pool.waitForDone(30000)

    def load_analyst(self) -> None:
        """Loads the LLM in its pool; on failure the plain summary takes its place and says why."""
        analyst = self.analyst

        def job(report, cancel):
            return analyst.load(report, cancel)

        def failed(exc: Exception) -> None:
            if self.analyst is not analyst:
                return
            self.analyst = SummaryAnalyst(str(exc))
            self.analyst_name = NO_LANGUAGE_MODEL
            self.notice.emit(f"Language model not loaded: {exc} Showing the plain mood summary instead.")
            self.analyst_ready.emit(self.analyst_name)

        def done(name: str) -> None:
            if self.analyst is not analyst:
                return
            self.analyst_name = name
            self.analyst_ready.emit(name)

        self.analyst_loading.emit("Loading the language model…")
        self._load_job = self._llm.run(job, on_done=done, on_error=failed,
                                       on_progress=lambda text: self.analyst_loading.emit(str(text)))

    # --- mood in ---------------------------------------------------------------------------------------------
    def on_mood(self, mood: MoodSnapshot | None) -> None:
        if mood is None:
            return
        self.latest = mood
        now = self._clock()
        if now - self._last_record >= self.record_every_s:
            self._last_record = now
            self.history.add(mood)
            self.mood_recorded.emit(mood)
        if self.auto and not self.manual and self.policy.should_refresh(mood, now):
            self.capture(reason="Your mood changed; new tracks for it.")

    def reset(self) -> None:
        """A new source: forget the detected mood (the captured one and its tracks stay on screen)."""
        self.latest = None
        self.history = MoodHistory(max_age_s=self.history.max_age_s)
        self.policy.reset()

    def current_mood(self) -> MoodSnapshot | None:
        if self.manual:
            return MoodSnapshot.manual_mood(self.manual, timestamp=time.time())
        return self.latest

    # --- user actions ----------------------------------------------------------------------------------------
    def set_manual(self, emotion: str) -> None:
        """"" returns to the detected mood; an emotion sets it by hand and fetches tracks for it."""
        was, self.manual = self.manual, emotion
        if emotion:
            self.capture(reason=f"Mood set by hand: {emotion}.")
        elif was:
            self.notice.emit("Back to the detected mood." if self.latest is not None else
                             "Back to the detected mood: none yet, so show your face or open a photo.")

    def set_auto(self, on: bool) -> None:
        self.auto = on
        self.settings.set(keys.AUTO_MODE, on)

    def set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        self.settings.set(keys.MODE, mode)
        if self.captured_mood is not None:
            self.recommend(refresh=False)

    def capture(self, reason: str = "") -> bool:
        """Freezes the current mood, analyses it, then fetches tracks for it. False if there is no mood yet."""
        mood = self.current_mood()
        if mood is None:
            self.notice.emit("No mood yet: show your face to the camera, or choose “I feel: …” to set it by hand.")
            return False
        self.captured_mood = mood
        self.policy.refreshed(mood, self._clock())
        if reason:
            self.notice.emit(reason)
        self.captured.emit(mood)
        self._analyse(mood)
        return True

    def refresh(self) -> None:
        if self.captured_mood is None:
            self.capture()
        else:
            self.recommend(refresh=True)

    # --- jobs ------------------------------------------------------------------------------------------------
    def _analyse(self, mood: MoodSnapshot) -> None:
        if self._analysis_job is not None:
            self._analysis_job.cancel()
        self._request += 1
        request_id = self._request
        history = self.history if (len(self.history) and not mood.manual) else MoodHistory([mood])
        request = AnalysisRequest(mood, history.summary(), history, self.settings.preferences(), self.mode)
        analyst = self.analyst

        def job(report, cancel):
            return analyst.analyze(request, on_text=report, cancel=cancel)

        def done(view: AnalysisView) -> None:
            if request_id != self._request:
                return
            self.analysis = view
            self.analysis_done.emit(view)
            self.recommend(refresh=False)

        def failed(exc: Exception) -> None:
            if request_id != self._request:
                return
            log.warning("analysis failed, using the summary: %s", exc)
            fallback = SummaryAnalyst(str(exc)).analyze(request, lambda _: None, None)
            self.analysis = AnalysisView(fallback.text, "summary", fallback.label, f"The analysis failed: {exc}")
            self.analysis_done.emit(self.analysis)
            self.recommend(refresh=False)

        def text(chunk) -> None:
            if request_id == self._request:
                self.analysis_text.emit(str(chunk))

        self.analysis_started.emit()
        self._analysis_job = self._llm.run(job, on_done=done, on_error=failed, on_progress=text)

    def recommend(self, refresh: bool) -> None:
        mood = self.captured_mood
        if mood is None:
            return
        if self._music_job is not None:
            self._music_job.cancel()
        music, mode, prefs, analysis = self.music, self.mode, self.settings.preferences(), self.analysis
        token = object()
        self._music_token = token

        def job(report, cancel):
            return music.recommend(mood, mode, prefs, analysis, refresh)

        def done(batch: TrackBatch) -> None:
            if self._music_token is token:
                self.tracks_ready.emit(batch)

        def failed(exc: Exception) -> None:
            if self._music_token is token:
                self.tracks_failed.emit(f"Could not fetch tracks: {exc}")

        self.tracks_started.emit()
        self._music_job = self._music_tasks.run(job, on_done=done, on_error=failed)

    def cancel_all(self) -> None:
        for job in (self._load_job, self._analysis_job, self._music_job):
            if job is not None:
                job.cancel()
