"""One worker QObject in one QThread, started and stopped the same way everywhere.

Stopping is cooperative: the worker's loop watches a threading.Event, then the thread's event loop is asked to
quit. The GUI thread only asks (`request_stop`) and learns of the end from the thread's `finished` signal: a
camera read that hangs in its driver must not freeze the window. `stop` (ask, then join) is for when no window
is left to keep responsive. Never `terminate()`: it can kill a thread holding a camera or a TensorFlow lock.
"""
from __future__ import annotations

import logging
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QThread

log = logging.getLogger(__name__)


class StoppableWorker(Protocol):
    """A QObject with `run()` (the loop), `stop()` (any thread) and a `done` signal emitted as run ends."""

    def run(self) -> None: ...

    def stop(self) -> None: ...


class WorkerThread:
    """Owns a QThread and the worker moved into it. Used from the GUI thread."""

    def __init__(self, worker: QObject, name: str) -> None:
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # a worker that ends by itself (end of video, lost camera) ends its thread too
        worker.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def request_stop(self) -> None:
        """Any thread: asks the worker to finish and the thread's event loop to quit; returns at once."""
        self.worker.stop()
        self.thread.quit()

    def stop(self, timeout_ms: int = 10000) -> bool:
        """Asks the worker to finish and joins the thread; False (logged) if it did not end in time. Blocks:
        not for the GUI thread while a window is open."""
        self.request_stop()
        if not self.thread.wait(max(0, timeout_ms)):
            log.error("thread %s did not stop within %d ms", self.thread.objectName(), timeout_ms)
            return False
        return True
