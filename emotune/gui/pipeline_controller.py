"""Owns the capture and inference threads and the slot between them; the window talks only to this.

The inference thread lives as long as the window (models load once); a capture thread lives as long as one
source. Changing the source stops and joins the old capture thread before the new one starts, and bumps the
generation so results still in flight from the old source are dropped.
"""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from emotune.capture import VideoSource
from emotune.gui.capture_worker import CaptureWorker
from emotune.gui.frame_slot import LatestFrameSlot
from emotune.gui.inference_worker import InferenceOutput, InferenceWorker, ModelStatus
from emotune.gui.threads import WorkerThread

log = logging.getLogger(__name__)

SourceFactory = Callable[[], VideoSource]


class PipelineController(QObject):
    """GUI thread. Re-emits the workers' signals for the current source only."""

    models_progress = Signal(str, int)   # message, percent
    models_ready = Signal(object)        # ModelStatus
    inference_error = Signal(str)        # text
    source_opened = Signal(str, float)   # description, fps
    source_failed = Signal(str, str, str)  # kind, message, hint
    source_ended = Signal()
    running_changed = Signal(bool)       # capture on/off (the camera light)
    result = Signal(object)              # InferenceOutput of the current source

    def __init__(self, make_inference: Callable[[LatestFrameSlot], InferenceWorker]) -> None:
        super().__init__()
        self.slot = LatestFrameSlot()
        self._inference = WorkerThread(make_inference(self.slot), "inference")
        worker = self._inference.worker
        worker.progress.connect(self.models_progress)
        worker.ready.connect(self._on_ready)
        worker.error.connect(self.inference_error)
        worker.result.connect(self._on_result)
        self._capture: WorkerThread | None = None
        self._generation = 0
        self.model_status: ModelStatus | None = None
        self.source_description = ""

    @property
    def inference_worker(self) -> InferenceWorker:
        return self._inference.worker

    @property
    def generation(self) -> int:
        return self._generation

    def start_models(self) -> None:
        if not self._inference.is_running():
            self._inference.start()

    def is_capturing(self) -> bool:
        return self._capture is not None and self._capture.is_running()

    def start(self, factory: SourceFactory) -> None:
        """Stops any current source and starts capturing from a new one (opened in its thread)."""
        self.stop()
        self._generation += 1
        worker = CaptureWorker(factory, self.slot, self._generation)
        worker.opened.connect(self._on_opened)
        worker.failed.connect(self._on_failed)
        worker.ended.connect(self._on_ended)
        self._capture = WorkerThread(worker, f"capture-{self._generation}")
        self._capture.thread.finished.connect(self._on_capture_finished)
        self._capture.start()
        self.running_changed.emit(True)

    def stop(self) -> None:
        """Stops and joins the capture thread (the camera is released before this returns)."""
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.stop()
            self.running_changed.emit(False)
        self.slot.clear()

    def shutdown(self) -> None:
        """Stops and joins every thread (window close)."""
        self.stop()
        self._inference.stop(timeout_ms=30000)

    def threads_running(self) -> list[str]:
        threads = [self._inference] + ([self._capture] if self._capture else [])
        return [t.thread.objectName() for t in threads if t.is_running()]

    def _current(self) -> bool:
        sender = self.sender()
        return self._capture is not None and sender is self._capture.worker

    @Slot(object)
    def _on_ready(self, status: ModelStatus) -> None:
        self.model_status = status
        self.models_ready.emit(status)

    @Slot(object)
    def _on_result(self, output: InferenceOutput) -> None:
        if output.generation == self._generation:
            self.result.emit(output)

    @Slot(str, float)
    def _on_opened(self, description: str, fps: float) -> None:
        if self._current():
            self.source_description = description
            self.source_opened.emit(description, fps)

    @Slot(str, str, str)
    def _on_failed(self, kind: str, message: str, hint: str) -> None:
        if self._current():
            self.source_failed.emit(kind, message, hint)

    @Slot()
    def _on_ended(self) -> None:
        if self._current():
            self.source_ended.emit()

    @Slot()
    def _on_capture_finished(self) -> None:
        """The capture loop ended by itself (end of file, failure): join it and report capture off."""
        if self._capture is not None and self.sender() is self._capture.thread:
            capture, self._capture = self._capture, None
            capture.stop()
            self.running_changed.emit(False)
