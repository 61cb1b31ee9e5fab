"""Opening the journal file safely: damaged or newer-version files are moved aside, never overwritten.

Why here and not in the store: the checks run before any connection is handed out, and they are the one
place that renames files, so every path through the app treats the user's data the same way.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from emotune.journal.errors import (
    JournalCorruptError, JournalError, JournalLockedError, JournalReadOnlyError, JournalUnavailableError, translate,
)
from emotune.journal.schema import SCHEMA_VERSION, migrate, version_of
from emotune.private_files import private_dir, private_file

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Opened:
    conn: sqlite3.Connection
    read_only: bool
    notice: str | None          # a message for the user (file moved aside, read-only), or None
    migrated_from: int | None   # the version an upgrade started from, or None


class _Unusable(Exception):
    """The file is there but cannot be used as this version's journal; `kind` names why."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail


def open_journal(path: Path, *, busy_timeout_s: float = 1.0, max_pages: int | None = None) -> Opened:
    """A connection to a checked, migrated journal at `path` (created if missing). Raises typed JournalErrors."""
    try:
        private_dir(path.parent)
    except OSError as exc:
        raise JournalUnavailableError(
            f"EmoTune can't create the folder for its mood journal ({path.parent}): {exc.strerror}. "
            "Check the folder's permissions; EmoTune runs without a journal meanwhile.", path) from exc
    notice = None
    if path.exists() and path.stat().st_size > 0:
        try:
            _inspect(path, busy_timeout_s)
        except _Unusable as bad:
            notice = _move_aside_message(path, bad)
        except JournalError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise translate(exc, path, "open the mood journal") from exc
    writable = os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    if not writable:
        return _open_read_only(path, busy_timeout_s, notice)
    try:
        private_file(path)   # before SQLite writes a byte; its -wal and -shm files take the same mode
        conn = _connect(path, busy_timeout_s)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")       # a committed row survives a crash or power loss
        conn.execute("PRAGMA secure_delete = ON")       # deleted entries are overwritten, not left on disk
        if max_pages:
            conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")
        before = version_of(conn)
        if 0 < before < SCHEMA_VERSION:
            _backup(conn, path, before)
        migrate(conn)
    except JournalError:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path, "open the mood journal") from exc
    return Opened(conn, False, notice, before if 0 < before < SCHEMA_VERSION else None)


def _connect(path: Path, busy_timeout_s: float, uri: str | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(uri or str(path), uri=uri is not None, timeout=busy_timeout_s,
                           isolation_level=None, check_same_thread=False)
    # Text a damaged file holds as invalid UTF-8 reads with U+FFFD instead of raising UnicodeDecodeError (which
    # is no sqlite3.Error) from the middle of a check, a query or an export: the rest stays readable.
    conn.text_factory = _text
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    return conn


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _connect_ro(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """A read-only connection. A WAL file in a folder we can't write has no shared-memory file to open, so
    it is then read as immutable (safe: nothing can write to it from here either)."""
    conn = _connect(path, busy_timeout_s, f"{path.as_uri()}?mode=ro")
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        if os.access(path.parent, os.W_OK) or not isinstance(translate(exc, path, ""), JournalReadOnlyError):
            raise
    return _connect(path, busy_timeout_s, f"{path.as_uri()}?mode=ro&immutable=1")


def _inspect(path: Path, busy_timeout_s: float) -> None:
    """Raises _Unusable when the file is not an SQLite database, fails its check, or is from a newer app."""
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise _Unusable("corrupt", "it is not an SQLite database")
    try:
        conn = _connect_ro(path, busy_timeout_s)
    except sqlite3.DatabaseError as exc:   # e.g. "malformed database schema": damaged, not locked or read-only
        err = translate(exc, path, "check the mood journal")
        if isinstance(err, JournalCorruptError):
            raise _Unusable("corrupt", str(exc)) from exc
        raise err from exc
    except UnicodeDecodeError as exc:     # SQLite's error message quotes the damaged schema, in invalid UTF-8
        raise _Unusable("corrupt", "its table definitions are damaged") from exc
    try:
        try:
            result = conn.execute("PRAGMA quick_check").fetchall()
            version = version_of(conn)
            if result == [("ok",)]:
                _name_every_column(conn)
        except sqlite3.DatabaseError as exc:
            err = translate(exc, path, "check the mood journal")
            if isinstance(err, (JournalLockedError, JournalReadOnlyError)):
                raise err from exc
            raise _Unusable("corrupt", str(exc)) from exc
        except UnicodeDecodeError as exc:
            raise _Unusable("corrupt", "its table definitions are damaged") from exc
        if result != [("ok",)]:
            raise _Unusable("corrupt", "; ".join(r[0] for r in result[:3]))
        if version > SCHEMA_VERSION:
            raise _Unusable(f"v{version}", f"journal format {version}; this version reads up to {SCHEMA_VERSION}")
    finally:
        conn.close()


def _name_every_column(conn: sqlite3.Connection) -> None:
    """A damaged byte can turn a column name into invalid UTF-8 (SQLite takes any byte over 127 as part of a
    name, so the schema still parses and passes its check), and then every query that lists that table's
    columns raises UnicodeDecodeError in Python: caught here, at open, as damage."""
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        quoted = table.replace('"', '""')
        conn.execute(f'SELECT * FROM "{quoted}" LIMIT 0').close()


def move_aside(path: Path, kind: str) -> Path:
    """Renames the journal and its side files to `<name>.<kind>-<time>` (never overwriting); returns the new path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{kind}-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.{kind}-{stamp}-{n}")
        n += 1
    for suffix in SIDE_FILES:                  # the WAL belongs with its database: move it alongside
        side = Path(f"{path}{suffix}")
        if side.exists():
            side.rename(f"{target}{suffix}")
    path.rename(target)
    return target


def _move_aside_message(path: Path, bad: _Unusable) -> str:
    try:
        target = move_aside(path, "corrupt" if bad.kind == "corrupt" else f"newer-{bad.kind}")
    except OSError as exc:
        raise JournalUnavailableError(
            f"Your mood journal ({path}) can't be used ({bad.detail}) and can't be moved aside: {exc.strerror}. "
            "EmoTune runs without a journal; move the file yourself to start a new one.", path) from exc
    if bad.kind == "corrupt":
        text = (f"Your mood journal could not be read ({bad.detail}). It was kept as {target.name} in "
                f"{target.parent} and a new, empty journal was started. Nothing was deleted.")
    else:
        text = (f"Your mood journal was written by a newer version of EmoTune ({bad.detail}). It was kept "
                f"unchanged as {target.name} in {target.parent} and a new journal was started; "
                "update EmoTune to read the old one again.")
    log.warning("%s", text)
    return text


def _backup(conn: sqlite3.Connection, path: Path, version: int) -> None:
    """A copy of the journal as it was before an upgrade, so a failed or regretted upgrade loses nothing."""
    target = path.with_name(f"{path.name}.v{version}-backup")
    if target.exists():
        return
    dest = sqlite3.connect(str(private_file(target)))
    try:
        conn.backup(dest)
    finally:
        dest.close()
    log.info("journal backed up to %s before upgrading from version %d", target, version)


def _open_read_only(path: Path, busy_timeout_s: float, notice: str | None) -> Opened:
    text = (f"Your mood journal ({path}) is read-only, so new moods and feedback aren't saved. Give your user "
            "write permission on the file and its folder, or turn the journal off in Settings.")
    if not path.exists():
        raise JournalReadOnlyError(text, path)
    try:
        conn = _connect_ro(path, busy_timeout_s)
        if version_of(conn) < SCHEMA_VERSION:
            conn.close()
            raise JournalReadOnlyError(text + " It also needs an upgrade, which needs write access.", path)
    except sqlite3.Error as exc:
        raise translate(exc, path, "open the mood journal") from exc
    log.warning("%s", text)
    return Opened(conn, True, " ".join(filter(None, [notice, text])), None)
