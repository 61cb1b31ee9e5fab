"""The mood journal: a local SQLite file of sessions, mood snapshots, analyses, tracks shown and feedback.

Every write is one short transaction under a lock, so the store can be shared by the GUI thread and a
loader thread, and a kill loses at most the write in flight. Failures come out as typed JournalErrors with
text for the user; the store stays usable afterwards (a full disk that gets space back works again).
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from emotune.appdirs import AppDirs
from emotune.core.emotions import EMOTIONS, index_of
from emotune.core.feedback import FeedbackBoosts
from emotune.core.mood import MoodSnapshot
from emotune.journal.errors import JournalReadOnlyError, translated
from emotune.journal.feedback import FeedbackRow, artist_text, compute_boosts, normalise_kind
from emotune.journal.files import open_journal
from emotune.journal.schema import TABLES, version_of

log = logging.getLogger(__name__)

FILENAME = "journal.sqlite3"
_SNAPSHOT_COLS = ("session_id", "ts", "dominant", "confidence", "valence", "arousal", "face_count", "manual",
                  "trend", "held_s", *EMOTIONS)


class JournalStore:
    """One journal file. Thread-safe: every call takes the store's lock for one short transaction."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, read_only: bool = False,
                 notice: str | None = None, migrated_from: int | None = None, clock=time.time) -> None:
        self._conn = conn
        self.path = path
        self.read_only = read_only
        self.notice = notice                # shown once to the user: file moved aside, read-only, …
        self.migrated_from = migrated_from
        self._clock = clock
        self._lock = threading.RLock()
        self._closed = False

    @classmethod
    def open(cls, appdirs: AppDirs, *, filename: str = FILENAME, busy_timeout_s: float = 1.0,
             max_size_bytes: int | None = None, clock=time.time) -> JournalStore:
        """Opens (creating, checking and upgrading) the journal in `appdirs.data`. A damaged or newer-version
        file is moved aside and `notice` says so. Raises JournalError subclasses with `user_text`."""
        path = Path(appdirs.data) / filename
        pages = max(2, max_size_bytes // 4096) if max_size_bytes else None
        opened = open_journal(path, busy_timeout_s=busy_timeout_s, max_pages=pages)
        return cls(opened.conn, path, read_only=opened.read_only, notice=opened.notice,
                   migrated_from=opened.migrated_from, clock=clock)

    # -- lifecycle -------------------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if not self.read_only:
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:       # closing must not fail: the data is committed already
                log.info("journal checkpoint at close skipped: %s", exc)
            self._conn.close()

    def __enter__(self) -> JournalStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return version_of(self._conn)

    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: all of the block is committed, or none of it."""
        if self.read_only:
            raise JournalReadOnlyError(
                f"Couldn't {action}: the mood journal ({self.path}) is read-only. Give your user write "
                "permission on the file and its folder, or turn the journal off in Settings.", self.path)
        with self._lock, translated(self.path, action):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: Sequence[Any] = (), action: str = "read the mood journal") -> list[tuple]:
        """Rows of a read-only query (used by the journal's own modules)."""
        with self._lock, translated(self.path, action):
            return self._conn.execute(sql, params).fetchall()

    # -- writes ----------------------------------------------------------------------------------------------

    def start_session(self, source: str = "", ts: float | None = None) -> int:
        with self._write("start a journal session") as c:
            return int(c.execute("INSERT INTO sessions (started_at, source) VALUES (?, ?)",
                                 (self._now(ts), str(source)[:200])).lastrowid)

    def end_session(self, session_id: int, ts: float | None = None) -> None:
        with self._write("end a journal session") as c:
            c.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (self._now(ts), session_id))

    def record_snapshot(self, snapshot: MoodSnapshot, session_id: int | None = None,
                        ts: float | None = None) -> int:
        """Stores the numbers and the label of one mood snapshot (nothing else: no image, no face)."""
        dist = [round(float(p), 4) for p in snapshot.distribution]
        values = (session_id, self._now(ts), EMOTIONS[index_of(snapshot.dominant)], round(snapshot.confidence, 4),
                  round(snapshot.valence, 4), round(snapshot.arousal, 4), int(snapshot.face_count),
                  int(snapshot.manual), str(snapshot.trend)[:16], round(snapshot.held_s, 2), *dist)
        sql = (f"INSERT INTO snapshots ({', '.join(_SNAPSHOT_COLS)}) "
               f"VALUES ({', '.join('?' * len(_SNAPSHOT_COLS))})")
        with self._write("save your mood") as c:
            return int(c.execute(sql, values).lastrowid)

    def record_analysis(self, text: str, *, mood: str = "", source: str = "llm", session_id: int | None = None,
                        ts: float | None = None) -> int:
        with self._write("save the analysis") as c:
            return int(c.execute(
                "INSERT INTO analyses (session_id, ts, text, mood, source) VALUES (?, ?, ?, ?, ?)",
                (session_id, self._now(ts), str(text), _mood(mood), str(source)[:32])).lastrowid)

    def record_tracks_shown(self, tracks: Sequence[Any], *, mood: str, mode: str = "match",
                            session_id: int | None = None, ts: float | None = None) -> list[int]:
        """Stores one list of recommended tracks (objects or mappings with an id, title, artist(s), reason)."""
        now = self._now(ts)
        rows = [(session_id, now, *_track_fields(t), _mood(mood), pos, str(mode)[:16])
                for pos, t in enumerate(tracks)]
        with self._write("save the tracks shown") as c:
            return [int(c.execute(
                "INSERT INTO tracks_shown (session_id, ts, track_id, title, artist, album, reason, mood, position,"
                " mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row).lastrowid) for row in rows]

    def record_feedback(self, track_id: str, artist: str | Sequence[str], mood: str, kind: str, *,
                        title: str = "", session_id: int | None = None, ts: float | None = None) -> int:
        """Stores a like, skip or "not for this mood" for a track in a mood (kind: see journal.feedback.KINDS)."""
        kind = normalise_kind(kind)
        if not str(track_id).strip():
            raise ValueError("feedback needs a track id")
        with self._write("save your feedback") as c:
            return int(c.execute(
                "INSERT INTO feedback (ts, track_id, artist, mood, kind, title, session_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self._now(ts), str(track_id), artist_text(artist), _mood(mood), kind, str(title),
                 session_id)).lastrowid)

    def delete_feedback(self, feedback_id: int) -> bool:
        """Takes one like, skip or "not for this mood" back (the user pressed Undo); False if it was gone."""
        with self._write("undo your feedback") as c:
            return c.execute("DELETE FROM feedback WHERE id = ?", (int(feedback_id),)).rowcount > 0

    # -- reads -----------------------------------------------------------------------------------------------

    def boosts_for(self, mood: str) -> FeedbackBoosts:
        """What the user's feedback in `mood` means for ranking (see journal.feedback)."""
        key = _mood(mood)
        rows = self.query("SELECT ts, track_id, artist, kind FROM feedback WHERE mood = ?", (key,),
                          "read your feedback")
        return compute_boosts(key, (FeedbackRow(*r) for r in rows), self._now(None))

    def recent_summary(self, days: float = 7.0):
        """A JournalSummary of the last `days` days (moods, trend, liked tracks) for the analysis."""
        from emotune.journal.summary import summarise

        return summarise(self, days)

    def counts(self) -> dict[str, int]:
        return {t: self.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in TABLES}

    def time_span(self) -> tuple[float, float] | None:
        """First and last recorded time over all tables, or None when the journal is empty."""
        spans = [self.query(f"SELECT MIN(ts), MAX(ts) FROM {t}")[0] for t in TABLES if t != "sessions"]
        spans = [s for s in spans if s[0] is not None]
        return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None

    def rows(self, table: str, start: float | None = None, end: float | None = None) -> list[dict]:
        """All rows of one table as dicts, oldest first, optionally within [start, end)."""
        if table not in TABLES:
            raise ValueError(f"unknown journal table {table!r}")
        column = "started_at" if table == "sessions" else "ts"
        with self._lock, translated(self.path, "read the mood journal"):
            cur = self._conn.execute(
                f"SELECT * FROM {table} WHERE {column} >= ? AND {column} < ? ORDER BY {column}, id",
                (-1e18 if start is None else start, 1e18 if end is None else end))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]

    # -- deletes ---------------------------------------------------------------------------------------------

    def delete_range(self, start: float | None = None, end: float | None = None) -> int:
        """Deletes every entry recorded in [start, end) (None: open-ended) and sessions left empty; returns
        the number of rows deleted. secure_delete overwrites them and the WAL is truncated afterwards."""
        lo, hi = (-1e18 if start is None else start), (1e18 if end is None else end)
        with self._write("delete journal entries") as c:
            n = sum(c.execute(f"DELETE FROM {t} WHERE ts >= ? AND ts < ?", (lo, hi)).rowcount
                    for t in ("snapshots", "analyses", "tracks_shown", "feedback"))
            n += c.execute(
                "DELETE FROM sessions WHERE started_at >= ? AND started_at < ? "
                "AND id NOT IN (SELECT session_id FROM snapshots WHERE session_id IS NOT NULL) "
                "AND id NOT IN (SELECT session_id FROM analyses WHERE session_id IS NOT NULL) "
                "AND id NOT IN (SELECT session_id FROM tracks_shown WHERE session_id IS NOT NULL) "
                "AND id NOT IN (SELECT session_id FROM feedback WHERE session_id IS NOT NULL)", (lo, hi)).rowcount
        self._compact()
        return n

    def delete_before(self, ts: float) -> int:
        return self.delete_range(None, ts)

    def delete_all(self) -> int:
        return self.delete_range(None, None)

    def delete_older_than(self, days: float) -> int:
        """Retention: deletes everything recorded more than `days` days ago (the CLI's --older-than, and what
        a "keep N days" setting calls at start)."""
        if days < 0:
            raise ValueError("days must be zero or more")
        return self.delete_range(None, self._now(None) - days * 86400.0)

    def _compact(self) -> None:
        """Shrinks the file and empties the WAL so deleted moods are gone from disk, not just unlinked."""
        with self._lock, translated(self.path, "compact the mood journal"):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _now(self, ts: float | None) -> float:
        return float(self._clock() if ts is None else ts)


def _mood(mood: str) -> str:
    return str(mood or "").strip().lower()[:32]


def _track_fields(track: Any) -> tuple[str, str, str, str, str]:
    """(track_id, title, artist, album, reason) from a recommender track object or a mapping."""
    get = track.get if isinstance(track, dict) else (lambda k, d=None: getattr(track, k, d))
    track_id = get("track_id") or get("id") or get("spotify_id") or ""
    if not track_id:
        raise ValueError(f"track without an id: {track!r}")
    artist = get("artists") or get("artist") or ""
    return (str(track_id), str(get("title") or get("name") or ""), artist_text(artist),
            str(get("album") or ""), str(get("reason") or ""))
