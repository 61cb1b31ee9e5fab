"""Waiting in scripts that drive the real window: Qt's event loop runs (frames, signals from the workers)
while the script waits.

Not `QTest.qWait`: in PySide6 it keeps Python's GIL while it sleeps between events, so the worker threads
(the LLM's sampler, the capture loop) crawl. Measured here on the window's first analysis: 3.4 s waiting with
a QEventLoop, 30 s waiting with qWait (2026-12-05)."""
from __future__ import annotations

import time
from typing import Callable


def run_for(seconds: float) -> float:
    """Runs the event loop for `seconds`; returns the seconds that really passed."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    t0 = time.monotonic()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    return time.monotonic() - t0


def wait_until(predicate: Callable[[], bool], timeout_s: float = 600.0) -> None:
    """Runs the event loop until `predicate` holds (checked every 20 ms); SystemExit after `timeout_s`."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if predicate() else None)
    timer.start(20)
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout_s:.0f} s")
        loop.exec()
    timer.stop()
