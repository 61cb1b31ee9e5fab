"""Typed journal errors that carry text a user can act on.

Why typed: the window shows a locked, read-only or full journal differently (a status line, not a crash), and
keeps running without recording; callers catch `JournalError` and show `user_text`.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# SQLite primary result codes (https://www.sqlite.org/rescode.html)
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


class JournalError(Exception):
    """Base of all journal failures; `user_text` says what happened and how to fix it."""

    def __init__(self, user_text: str, path: Path | None = None) -> None:
        super().__init__(user_text)
        self.user_text = user_text
        self.path = path


class JournalLockedError(JournalError):
    """Another program (often a second EmoTune) holds the journal's write lock."""


class JournalReadOnlyError(JournalError):
    """The journal file or its folder cannot be written."""


class JournalDiskFullError(JournalError):
    """The disk (or the journal's size limit) is full."""


class JournalCorruptError(JournalError):
    """The file is damaged; at open time it is moved aside instead of raising this."""


class JournalUnavailableError(JournalError):
    """The journal cannot be opened at all (folder missing and not creatable, I/O error)."""


def _code(exc: sqlite3.Error) -> int:
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def translate(exc: BaseException, path: Path | None, action: str) -> JournalError:
    """The typed error, with user text, for a sqlite3 or OS error raised while doing `action`."""
    where = f" ({path})" if path else ""
    text = str(exc).lower()
    code = _code(exc) if isinstance(exc, sqlite3.Error) else 0
    if code in (_BUSY, _LOCKED) or "locked" in text:
        return JournalLockedError(
            f"Couldn't {action}: the mood journal{where} is in use by another program, probably a second "
            "EmoTune window. Close it and try again; EmoTune keeps running meanwhile.", path)
    if code == _READONLY or "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        return JournalReadOnlyError(
            f"Couldn't {action}: the mood journal{where} is read-only. Give your user write permission on "
            "the file and its folder, or turn the journal off in Settings.", path)
    if code == _FULL or "disk is full" in text or getattr(exc, "errno", None) == 28:
        return JournalDiskFullError(
            f"Couldn't {action}: the disk holding the mood journal{where} is full. Free some space; nothing "
            "already saved was lost.", path)
    if code in (_CORRUPT, _NOTADB) or "malformed" in text or "not a database" in text:
        return JournalCorruptError(
            f"Couldn't {action}: the mood journal{where} is damaged. Restart EmoTune: it moves the damaged "
            "file aside and starts a new journal.", path)
    return JournalUnavailableError(f"Couldn't {action}: the mood journal{where} failed ({exc}).", path)


@contextmanager
def translated(path: Path | None, action: str) -> Iterator[None]:
    """Re-raises sqlite3 and OS errors inside the block as typed JournalErrors."""
    try:
        yield
    except JournalError:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path, action) from exc
