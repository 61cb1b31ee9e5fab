"""Owns the capture and inference threads and the slot between them; the window talks only to this.

The inference thread lives as long as the window (models load once); a capture thread lives as long as one
source. Changing the source bumps the generation so results still in flight from the old source are dropped.

Nothing here blocks the GUI thread on a join: a camera read can hang in its driver for seconds. `stop` only asks
the capture thread to end and keeps it in `_retiring` until its `finished` signal arrives (then it is joined, at
once); the next capture thread opens its source only after the old one closed (CaptureWorker's `after`), so a
camera is never opened twice. `shutdown` asks every thread to end and `stopped` says when all have; `wait`
joins them where blocking is fine (after the event loop, in scripts).
"""
from __future__ import annotations

import logging
import time
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from emotune.capture import VideoSource
from emotune.gui.workers.capture_worker import CaptureWorker
from emotune.gui.workers.frame_slot import LatestFrameSlot
from emotune.gui.workers.inference_worker import InferenceOutput, InferenceWorker, ModelStatus
from emotune.gui.workers.threads import WorkerThread

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
    stopped = Signal()                   # after shutdown(): every thread has finished

    def __init__(self, make_inference: Callable[[LatestFrameSlot], InferenceWorker]) -> None:
        super().__init__()
        self.slot = LatestFrameSlot()
        self._inference = WorkerThread(make_inference(self.slot), "inference")
        worker = self._inference.worker
        worker.progress.connect(self.models_progress)
        worker.ready.connect(self._on_ready)
        worker.error.connect(self.inference_error)
        worker.result.connect(self._on_result)
        self._inference.thread.finished.connect(self._on_thread_finished)
        self._capture: WorkerThread | None = None
        self._retiring: list[WorkerThread] = []        # asked to stop, not finished yet
        self._shutting_down = False
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
        """Capture is on from `start` until the thread is asked to stop or has ended by itself and that end
        reached this (GUI) thread, the same moment the status bar learns it through `running_changed`."""
        return self._capture is not None

    def start(self, factory: SourceFactory) -> None:
        """Stops any current source and starts capturing from a new one (opened in its thread, after the old
        source closed). Returns at once."""
        self.stop()
        self.slot.reset_counts()   # "frames not analysed" counts this run only, not every replay before it
        self._generation += 1
        # every earlier capture still ending may hold the device (one stopped while it waited included)
        earlier = [t.worker.closed for t in self._retiring if isinstance(t.worker, CaptureWorker)]
        worker = CaptureWorker(factory, self.slot, self._generation, after=earlier)
        worker.opened.connect(self._on_opened)
        worker.failed.connect(self._on_failed)
        worker.ended.connect(self._on_ended)
        self._capture = WorkerThread(worker, f"capture-{self._generation}")
        self._capture.thread.finished.connect(self._on_thread_finished)
        self._capture.start()
        self.running_changed.emit(True)

    def stop(self) -> None:
        """Asks the capture thread to stop and returns at once, even while a camera read hangs; the thread is
        joined when it finishes (`finished`), and the camera is released before any next source opens."""
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.request_stop()
            self._retiring.append(capture)
            self.running_changed.emit(False)
        self.slot.clear()

    def shutdown(self) -> None:
        """Window close: asks every thread to stop and returns at once; `stopped` follows when all have ended
        (at once if none was running). `wait` joins them where blocking is fine."""
        self._shutting_down = True
        self.stop()
        self._inference.request_stop()
        self._emit_stopped_if_done()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Joins every thread (asking them to stop first); True if all ended in time. Blocks: call it after the
        event loop has ended (app exit, scripts), never while a window is shown."""
        deadline = time.monotonic() + timeout_ms / 1000.0
        threads = [self._inference] + self._retiring + ([self._capture] if self._capture else [])
        ok = True
        for t in threads:
            if t.thread.isRunning():
                ok &= t.stop(int(max(0.0, deadline - time.monotonic()) * 1000))
        self._retiring = [t for t in self._retiring if t.thread.isRunning()]
        return ok

    def threads_running(self) -> list[str]:
        threads = [self._inference] + self._retiring + ([self._capture] if self._capture else [])
        return [t.thread.objectName() for t in threads if t.is_running()]

    def _emit_stopped_if_done(self) -> None:
        if self._shutting_down and not self.threads_running():
            self._shutting_down = False
            self.stopped.emit()

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
    def _on_thread_finished(self) -> None:
        """A thread ended (asked to, or by itself at the end of a file or a failure): join it (it has finished,
        so this returns at once) and, for the current capture, report capture off."""
        thread = self.sender()
        if self._capture is not None and thread is self._capture.thread:
            capture, self._capture = self._capture, None
            capture.thread.wait()
            self.running_changed.emit(False)
        for retired in [t for t in self._retiring if t.thread is thread]:
            retired.thread.wait()
            self._retiring.remove(retired)
        self._emit_stopped_if_done()
