"""Reads frames from one source in its own thread and drops them into the latest-frame slot.

The source is opened INSIDE the thread (opening a camera can block for a second or more), files and images are
paced at their own frame rate (a video plays at its speed, not as fast as the disk reads), cameras are paced
by the device. Failures arrive as signals carrying the capture error's user text and hint.

A new source opens only after the previous ones have closed (`after`): stopping never waits for a camera read that
hangs in its driver, so the old thread may still hold the device when the next one starts; the new thread, not the
GUI thread, waits for it.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Sequence

from PySide6.QtCore import QObject, Signal, Slot

from emotune.capture import CameraSource, CaptureError, SourceLost, VideoSource
from emotune.gui.workers.frame_slot import CapturedFrame, LatestFrameSlot

log = logging.getLogger(__name__)

UNAVAILABLE, LOST, ERROR = "unavailable", "lost", "error"
HANDOVER_S = 10.0   # how long a new source waits for the previous one to close before it opens anyway


class CaptureWorker(QObject):
    """Lives in a capture QThread; `run` loops until `stop()` or the end of the source."""

    opened = Signal(str, float)       # source description, frames per second
    failed = Signal(str, str, str)    # kind (unavailable|lost|error), message, hint
    ended = Signal()                  # a video or image source reached its end
    done = Signal()                   # run() returned, for whatever reason

    def __init__(self, source_factory: Callable[[], VideoSource], slot: LatestFrameSlot, generation: int,
                 after: Sequence[threading.Event] = (), handover_s: float = HANDOVER_S) -> None:
        super().__init__()
        self._factory = source_factory
        self._slot = slot
        self.generation = generation
        self._stop = threading.Event()
        self._after, self._handover_s = tuple(after), handover_s
        self.closed = threading.Event()   # set once this worker's source is closed (or never opened)

    def stop(self) -> None:
        """Any thread: ends the loop at the next frame (or pacing wait)."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        """Capture thread."""
        threading.current_thread().name = "capture"
        try:
            if self._previous_closed():
                self._run()
        finally:
            self.closed.set()
            self.done.emit()

    def _previous_closed(self) -> bool:
        """Waits until the earlier sources have closed; False if stopped meanwhile. After `handover_s` it goes on
        (logged): opening may then fail with the device busy, which the user sees as a message."""
        deadline = time.monotonic() + self._handover_s
        while not all(closed.wait(0.05) for closed in self._after):
            if self._stop.is_set():
                return False
            if time.monotonic() > deadline:
                log.warning("the previous source has not closed after %.0f s; opening the next one anyway",
                            self._handover_s)
                break
        return not self._stop.is_set()

    def _run(self) -> None:
        try:
            source = self._factory()
            source.open()
        except CaptureError as exc:  # the user's bad file or missing camera: one line, no traceback
            log.warning("cannot open the source: %s", exc)
            self.failed.emit(UNAVAILABLE, exc.message, exc.hint)
            return
        except Exception as exc:  # a broken driver or file must not take the app down
            log.exception("opening the source failed")
            self.failed.emit(ERROR, f"Could not open the source: {exc}", "Try another camera or file.")
            return
        try:
            self.opened.emit(source.description, float(source.fps or 0.0))
            self._loop(source)
        except SourceLost as exc:
            log.warning("the source stopped: %s", exc)
            self.failed.emit(LOST, exc.message, exc.hint)
        except CaptureError as exc:
            log.warning("reading the source failed: %s", exc)
            self.failed.emit(ERROR, exc.message, exc.hint)
        except Exception as exc:
            log.exception("capture failed")
            self.failed.emit(ERROR, f"Reading frames failed: {exc}", "Press Start to try again.")
        finally:
            try:
                source.close()
            except Exception:
                log.exception("closing the source failed")

    def _loop(self, source: VideoSource) -> None:
        pace = not isinstance(source, CameraSource) and source.fps > 0
        period = 1.0 / source.fps if pace else 0.0
        next_due = time.monotonic()
        while not self._stop.is_set():
            frame = source.read()
            if self._stop.is_set():   # stopped while the read was blocked: this frame belongs to no one
                return
            if frame is None:
                self.ended.emit()
                return
            self._slot.put(CapturedFrame(frame, time.monotonic(), self.generation))
            if pace:
                next_due += period
                delay = next_due - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                elif delay < -0.5:  # fell far behind (machine busy): do not rush to catch up
                    next_due = time.monotonic()
