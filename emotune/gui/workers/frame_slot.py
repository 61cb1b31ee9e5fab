"""A one-item mailbox between the capture thread and its readers, so nobody ever works on a stale frame.

Why not a queue: a camera delivers 30 frames a second and the classifier may manage ten; a queue would grow
and the picture would lag further behind the face every second. The slot keeps only the newest frame, counts
the ones that were replaced before anyone took them, and lets the view peek at the newest without taking it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from emotune.core.types import Frame


@dataclass(frozen=True)
class CapturedFrame:
    """A frame with the monotonic time it was read and the source generation it belongs to (a new source
    starts a new generation, so results of the old one can be told apart and dropped)."""

    frame: Frame
    captured_at: float
    generation: int


class LatestFrameSlot:
    """Thread-safe: `put` from the capture thread, `take` from the inference thread, `peek` from the GUI."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: CapturedFrame | None = None
        self._latest: CapturedFrame | None = None
        self._seq = 0
        self.put_count = 0
        self.taken_count = 0
        self.dropped = 0

    def put(self, item: CapturedFrame) -> None:
        with self._cond:
            if self._pending is not None:
                self.dropped += 1
            self._pending = self._latest = item
            self._seq += 1
            self.put_count += 1
            self._cond.notify_all()

    def take(self, timeout: float) -> CapturedFrame | None:
        """The newest frame nobody took yet, waiting up to `timeout` seconds; None if none came."""
        with self._cond:
            if self._pending is None:
                self._cond.wait(timeout)
            item, self._pending = self._pending, None
            if item is not None:
                self.taken_count += 1
            return item

    def peek(self) -> tuple[int, CapturedFrame | None]:
        """(sequence number, newest frame) without taking it; the number tells the view whether it is new."""
        with self._cond:
            return self._seq, self._latest

    def reset_counts(self) -> None:
        """Zero the counters: a new run (a replay, another source) starts its own count of skipped frames."""
        with self._cond:
            self.put_count = self.taken_count = self.dropped = 0

    def clear(self) -> None:
        """Forget the frames of a source that was closed."""
        with self._cond:
            self._pending = self._latest = None
            self._seq += 1

    def wake(self) -> None:
        """Wakes a reader blocked in `take` (used when stopping)."""
        with self._cond:
            self._cond.notify_all()
