"""Python's cycle collector, run on the GUI thread only.

Python collects reference cycles in whichever thread happens to allocate when a threshold is crossed. The capture,
inference and LLM threads allocate all the time, so a cycle holding a widget or another QObject (a closed window,
a finished capture worker with an exception's traceback) could be destroyed in one of them, and a Qt object must
be destroyed in its own thread. The window tests crashed now and then, and a spy found a whole window collected
in an LLM pool thread there. So automatic collection is switched off while the app runs and a timer on the GUI
thread collects instead, against Python's own thresholds. Reference counting still frees everything else at
once, in any thread; only cycles wait for the timer.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500   # cycles live at most this long; a young collection takes well under a millisecond


class GuiThreadCollector(QObject):
    """Create it in the GUI thread (the application object may own it); `start` hands collection to it."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = gc.isenabled()

    def start(self) -> GuiThreadCollector:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()
        return self

    def stop(self) -> None:
        """Gives collection back to Python (as it was before `start`) after one last full collection here."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def is_active(self) -> bool:
        return self._timer.isActive() and not gc.isenabled()

    def collect_due(self) -> int:
        """Collects the oldest generation whose count has passed Python's threshold (with the younger ones, as
        gc.collect(n) does); returns how many unreachable objects it found."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                return gc.collect(generation)
        return 0
