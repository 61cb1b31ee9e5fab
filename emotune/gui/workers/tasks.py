"""One-shot background jobs (analysis, recommendations, camera probing) whose callbacks run on the GUI thread.

A job runs in a QThreadPool; its result, error and progress travel back by signals of a relay QObject that
lives in the GUI thread, so callbacks may touch widgets. Each job gets a cancel Event; a pool with one thread
(the LLM's) makes calls run one after another, never at once.
"""
from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from emotune.core.errors import UserFacingError

log = logging.getLogger(__name__)

Job = Callable[[Callable[[Any], None], threading.Event], Any]   # job(report, cancel) -> result


class _Relay(QObject):
    """Created in the GUI thread; its signals are queued there from the pool thread."""

    done = Signal(object)       # result
    failed = Signal(object)     # exception
    progress = Signal(object)   # whatever the job reports

    def __init__(self, on_done, on_error, on_progress) -> None:
        super().__init__()
        self._on_done, self._on_error, self._on_progress = on_done, on_error, on_progress
        self.done.connect(self._done)
        self.failed.connect(self._failed)
        self.progress.connect(self._progress)

    delivered = False

    @Slot(object)
    def _done(self, result) -> None:
        self.delivered = True
        if self._on_done:
            self._on_done(result)

    @Slot(object)
    def _failed(self, exc) -> None:
        self.delivered = True
        if self._on_error:
            self._on_error(exc)
        else:
            log.error("background job failed: %s", exc)

    @Slot(object)
    def _progress(self, value) -> None:
        if self._on_progress:
            self._on_progress(value)


class TaskHandle:
    def __init__(self, relay: _Relay) -> None:
        self.cancel_event = threading.Event()
        self.finished = threading.Event()
        self.emitted = False
        self.relay = relay

    def settled(self) -> bool:
        """Finished, and its result (if any) reached the GUI thread: the relay may be dropped."""
        return self.finished.is_set() and (not self.emitted or self.relay.delivered)

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


class _Runnable(QRunnable):
    def __init__(self, job: Job, handle: TaskHandle, name: str) -> None:
        super().__init__()
        self._job, self._handle, self._name = job, handle, name

    def run(self) -> None:
        threading.current_thread().name = self._name
        relay, handle = self._handle.relay, self._handle
        try:
            if handle.cancelled:
                return
            result = self._job(relay.progress.emit, handle.cancel_event)
            if not handle.cancelled:
                handle.emitted = True
                relay.done.emit(result)
        except Exception as exc:
            if handle.cancelled or isinstance(exc, UserFacingError):   # expected: one line, the user is told
                log.warning("job %s %s: %s", self._name, "cancelled" if handle.cancelled else "failed", exc)
            else:
                log.error("job %s failed:\n%s", self._name, traceback.format_exc())
            if not handle.cancelled:
                handle.emitted = True
                relay.failed.emit(exc)
        finally:
            handle.finished.set()


class TaskRunner:
    """GUI thread. `max_threads=1` serialises jobs (the LLM pool)."""

    def __init__(self, name: str, max_threads: int = 2) -> None:
        self.name = name
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)
        self._handles: list[TaskHandle] = []

    def run(self, job: Job, on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[Exception], None] | None = None,
            on_progress: Callable[[Any], None] | None = None) -> TaskHandle:
        handle = TaskHandle(_Relay(on_done, on_error, on_progress))
        self._handles = [h for h in self._handles if not h.settled()] + [handle]
        self.pool.start(_Runnable(job, handle, f"{self.name}-job"))
        return handle

    def busy(self) -> bool:
        return any(not h.finished.is_set() for h in self._handles)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancels queued and running jobs and waits for the pool's threads to finish."""
        self.pool.clear()
        for handle in self._handles:
            handle.cancel()
        ok = self.pool.waitForDone(timeout_ms)
        if not ok:
            log.error("pool %s still busy after %d ms", self.name, timeout_ms)
        return ok
