"""The status bar: the models' progress and readiness, the short messages of the workers and the session, and
the live rates (frames shown per second, time per face, frames dropped) twice a second. GUI thread."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Slot

from emotune.gui.services.session import MoodSession
from emotune.gui.widgets.status_bar import StatusBar
from emotune.gui.widgets.track_list import TrackList
from emotune.gui.widgets.video_view import VideoView
from emotune.gui.workers.inference_worker import InferenceOutput, ModelStatus
from emotune.gui.workers.pipeline_controller import PipelineController

STATS_EVERY_MS = 500


class StatusPresenter(QObject):
    """`is_still` says whether a photo is shown (a photo has no frame rate)."""

    def __init__(self, status: StatusBar, view: VideoView, tracks: TrackList, controller: PipelineController,
                 session: MoodSession, is_still: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status, self.view, self.controller, self.session = status, view, controller, session
        self._is_still = is_still
        self._ms_per_face: float | None = None
        tracks.message.connect(lambda text: status.showMessage(text, 8000))
        controller.models_progress.connect(status.set_model_progress)
        controller.models_ready.connect(self._on_models_ready)
        controller.inference_error.connect(lambda text: status.showMessage(text, 10000))
        controller.result.connect(self._on_result)
        session.notice.connect(lambda text: status.showMessage(text, 8000))
        session.analyst_loading.connect(lambda text: status.showMessage(text, 5000))
        session.analyst_ready.connect(lambda name: status.set_models(controller.model_status, name))
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.update_stats)
        self._timer.start(STATS_EVERY_MS)

    @Slot(object)
    def _on_models_ready(self, status: ModelStatus) -> None:
        self.status.set_models(status, self.session.analyst_name)

    @Slot(object)
    def _on_result(self, output: InferenceOutput) -> None:
        timings = output.result.timings
        if timings.faces_classified:
            self._ms_per_face = timings.ms_per_face

    @Slot()
    def update_stats(self) -> None:
        fps = 0.0 if self._is_still() else self.view.fps()
        self.status.set_rates(fps, self._ms_per_face, self.controller.slot.dropped)

    def stop(self) -> None:
        self._timer.stop()
