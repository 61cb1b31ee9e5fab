"""Feeds mood snapshots to the journal at a bounded rate: one per `interval_s` (5 s), never one per frame.

Why a recorder between the window and the store: the window gets a snapshot on every classified frame
(10-30 a second); storing each would grow the file by megabytes an hour and say nothing more. The recorder
keeps the newest snapshot in between and writes it when the interval has passed, or on `flush()`/`close()`,
so a crash loses at most the one snapshot not yet due. Journal failures never reach the caller as
exceptions: they are logged once per kind, kept in `last_error`, and passed to `on_error` so the window
can show them in its status bar, and recording resumes by itself when the journal works again.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

from emotune.core.mood import MoodSnapshot
from emotune.journal.errors import JournalError

log = logging.getLogger(__name__)


class JournalRecorder:
    """Not thread-safe: call it from one thread (the GUI thread, where snapshots arrive by signal)."""

    def __init__(self, store, *, interval_s: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 on_error: Callable[[JournalError], None] | None = None, enabled: bool = True) -> None:
        self.store = store
        self.interval_s = interval_s
        self.enabled = enabled
        self.on_error = on_error
        self.last_error: JournalError | None = None
        self.written = 0
        self.session_id: int | None = None
        self._clock = clock
        self._last_write: float | None = None
        self._pending: MoodSnapshot | None = None

    def start_session(self, source: str = "") -> int | None:
        """Begins a session (a source started); ends the previous one first."""
        self.end_session()
        self.session_id = self._guard(lambda: self.store.start_session(source))
        return self.session_id

    def end_session(self) -> None:
        """Writes the pending snapshot and closes the session (a source stopped)."""
        self.flush()
        if self.session_id is not None:
            sid, self.session_id = self.session_id, None
            self._guard(lambda: self.store.end_session(sid))

    def record(self, snapshot: MoodSnapshot | None) -> bool:
        """Offers a snapshot; returns True when it was written now (at most once per interval)."""
        if not self.enabled or snapshot is None:
            return False
        now = self._clock()
        if self._last_write is not None and now - self._last_write < self.interval_s:
            self._pending = snapshot
            return False
        self._pending = None
        self._last_write = now
        return self._write(snapshot)

    def flush(self) -> bool:
        """Writes the snapshot held since the last write, if any."""
        snap, self._pending = self._pending, None
        if snap is None or not self.enabled:
            return False
        self._last_write = self._clock()
        return self._write(snap)

    def close(self) -> None:
        self.end_session()

    @property
    def healthy(self) -> bool:
        return self.last_error is None

    def _write(self, snapshot: MoodSnapshot) -> bool:
        if self.session_id is None:
            self.session_id = self._guard(lambda: self.store.start_session(""))
        ok = self._guard(lambda: self.store.record_snapshot(snapshot, self.session_id)) is not None
        self.written += int(ok)
        return ok

    def _guard(self, call):
        try:
            result = call()
        except JournalError as exc:
            if type(exc) is not type(self.last_error):     # report each new kind of failure once
                log.warning("journal: %s", exc.user_text)
                if self.on_error is not None:
                    self.on_error(exc)
            self.last_error = exc
            return None
        if self.last_error is not None:
            log.info("journal works again")
            self.last_error = None
        return result
