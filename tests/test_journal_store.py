"""The journal store: schema and migrations, damaged and newer files moved aside, typed errors for a locked,
read-only or full journal, deletes, and nothing but numbers and labels stored for a mood."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from emotune.appdirs import AppDirs
from emotune.core.emotions import EMOTIONS
from emotune.core.mood import MoodSnapshot
from emotune.journal import (
    JournalDiskFullError, JournalError, JournalLockedError, JournalReadOnlyError, JournalRecorder, JournalStore,
)
from emotune.journal.schema import MIGRATIONS, SCHEMA_VERSION, TABLES, V1, migrate, version_of

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def dirs(tmp_path) -> AppDirs:
    return AppDirs.under(tmp_path / "home")


@pytest.fixture
def store(dirs):
    with JournalStore.open(dirs) as s:
        yield s


def snap(emotion: str = "happy", **extra) -> MoodSnapshot:
    dist = [0.05] * len(EMOTIONS)
    dist[EMOTIONS.index(emotion)] = 0.7
    return MoodSnapshot.from_distribution(dist, **extra)


def test_new_journal_is_wal_at_current_version(store):
    assert store.schema_version == SCHEMA_VERSION == 2
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.path.name == "journal.sqlite3" and store.notice is None


def test_v1_database_migrates_with_its_rows(dirs):
    path = Path(dirs.data) / "journal.sqlite3"
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)
    assert version_of(conn) == 1
    conn.execute("INSERT INTO sessions (started_at, source) VALUES (1000, 'camera 0')")
    conn.execute(f"INSERT INTO snapshots (session_id, ts, dominant, confidence, valence, arousal, face_count, "
                 f"{', '.join(EMOTIONS)}) VALUES (1, 1001, 'sad', 0.7, -0.5, -0.3, 1, 0, 0, 0, 0, 0.7, 0, 0.3)")
    conn.execute("INSERT INTO feedback (ts, track_id, artist, mood, kind) "
                 "VALUES (1002, 'abc', 'Adele', ' Sad', 'like')")
    conn.execute("INSERT INTO tracks_shown (ts, track_id, title, artist, mood) "
                 "VALUES (1002, 'abc', 'Hello', 'Adele', 'SAD')")
    conn.close()

    with JournalStore.open(dirs) as s:
        assert s.schema_version == SCHEMA_VERSION and s.migrated_from == 1
        assert s.counts() == {"sessions": 1, "snapshots": 1, "analyses": 0, "tracks_shown": 1, "feedback": 1}
        row = s.rows("snapshots")[0]
        assert (row["dominant"], row["sad"], row["trend"], row["held_s"]) == ("sad", 0.7, "steady", 0)
        assert s.rows("feedback")[0]["mood"] == "sad" and s.rows("tracks_shown")[0]["mood"] == "sad"
        assert s.boosts_for("sad").tracks["abc"] > 0      # v1 feedback still counts after the upgrade
        s.record_snapshot(snap(), ts=2000)                # and the new columns take writes
    backup = path.with_name("journal.sqlite3.v1-backup")
    assert backup.exists()
    with sqlite3.connect(backup) as b:
        assert version_of(b) == 1 and b.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 1


def test_corrupt_file_is_moved_aside_never_overwritten(dirs):
    path = Path(dirs.data) / "journal.sqlite3"
    path.parent.mkdir(parents=True)
    garbage = b"this is not a database, but it is the user's file\n" * 100
    path.write_bytes(garbage)
    with JournalStore.open(dirs) as s:
        assert "could not be read" in s.notice and "Nothing was deleted" in s.notice
        s.record_snapshot(snap())
    aside = [p for p in path.parent.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage and aside[0].name in s.notice


def test_damaged_pages_are_detected(dirs):
    with JournalStore.open(dirs) as s:
        for i in range(300):
            s.record_analysis("x" * 200, ts=i)
    path = Path(dirs.data) / "journal.sqlite3"
    data = bytearray(path.read_bytes())
    data[4096 * 2: 4096 * 4] = os.urandom(4096 * 2)        # scribble over interior pages, keep the header
    path.write_bytes(bytes(data))
    with JournalStore.open(dirs) as s:
        assert s.notice and "could not be read" in s.notice and s.counts()["analyses"] == 0
    assert any(".corrupt-" in p.name for p in path.parent.iterdir())


def test_newer_version_is_moved_aside_with_a_message(dirs):
    path = Path(dirs.data) / "journal.sqlite3"
    with JournalStore.open(dirs) as s:
        s.record_snapshot(snap())
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with JournalStore.open(dirs) as s:
        assert "newer version of EmoTune" in s.notice and s.counts()["snapshots"] == 0
    aside = next(p for p in path.parent.iterdir() if ".newer-v3-" in p.name and not p.name.endswith(("-wal", "-shm")))
    with sqlite3.connect(aside) as conn:
        assert conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 1


def test_schema_holds_no_blobs_and_a_snapshot_stores_only_numbers_and_labels(store):
    for table in TABLES:
        types = {r[2].upper() for r in store.query(f"PRAGMA table_info({table})")}
        assert types <= {"INTEGER", "REAL", "TEXT"}, (table, types)
    rec = JournalRecorder(store)
    rec.start_session("camera 0")
    assert rec.record(snap("sad", face_count=2))
    rec.close()
    row = store.query("SELECT * FROM snapshots")[0]
    names = [r[1] for r in store.query("PRAGMA table_info(snapshots)")]
    for name, value in zip(names, row):
        assert isinstance(value, (int, float)) or value in (*EMOTIONS, "steady", "rising", "falling"), (name, value)
    blobs = [(t, c) for t in TABLES for c in [r[1] for r in store.query(f"PRAGMA table_info({t})")]
             if store.query(f"SELECT COUNT(*) FROM {t} WHERE typeof({c}) = 'blob'")[0][0]]
    assert blobs == []
    assert {p.name for p in store.path.parent.iterdir()} <= {"journal.sqlite3", "journal.sqlite3-wal",
                                                              "journal.sqlite3-shm"}   # no side files of images


def test_recorder_writes_at_most_one_snapshot_per_interval():
    class FakeStore:
        def __init__(self):
            self.snaps = []

        def start_session(self, source=""):
            return 1

        def end_session(self, sid):
            pass

        def record_snapshot(self, s, sid=None):
            self.snaps.append(s)
            return len(self.snaps)

    clock = [0.0]
    fake = FakeStore()
    rec = JournalRecorder(fake, interval_s=5.0, clock=lambda: clock[0])
    for i in range(30 * 60):                      # one minute of snapshots at 30 per second
        clock[0] = i / 30
        rec.record(snap(timestamp=clock[0]))
    assert len(fake.snaps) == 12
    rec.close()                                   # the newest one, not yet due, is flushed at the end
    assert len(fake.snaps) == 13 and fake.snaps[-1].timestamp == pytest.approx(1799 / 30)


def test_delete_range_and_all(store):
    for ts in (100, 200, 300):
        store.record_snapshot(snap(), ts=ts)
        store.record_feedback("t", "a", "happy", "like", ts=ts)
    assert store.delete_range(150, 250) == 2
    assert [r["ts"] for r in store.rows("snapshots")] == [100, 300]
    assert store.delete_before(200) == 2
    assert store.delete_all() == 2 and sum(store.counts().values()) == 0


def test_disk_full_gives_a_typed_error_and_the_store_recovers(dirs):
    with JournalStore.open(dirs, max_size_bytes=64 * 1024) as s:
        with pytest.raises(JournalDiskFullError) as info:
            for i in range(100_000):
                s.record_snapshot(snap(), ts=i)
        assert "full" in info.value.user_text and "nothing already saved was lost" in info.value.user_text
        saved = s.counts()["snapshots"]
        assert saved > 0
        errors = []
        rec = JournalRecorder(s, on_error=errors.append)
        assert rec.record(snap()) is False and isinstance(rec.last_error, JournalDiskFullError)
        assert len(errors) == 1
        s.delete_range(0, saved // 2)             # space comes back: writing works again
        rec.interval_s = 0
        assert rec.record(snap()) and rec.healthy
    with JournalStore.open(dirs) as s:
        assert s.query("PRAGMA integrity_check")[0][0] == "ok"


def test_locked_journal_gives_a_typed_error(dirs):
    with JournalStore.open(dirs, busy_timeout_s=0.05) as s:
        other = sqlite3.connect(s.path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(JournalLockedError) as info:
                s.record_feedback("t", "a", "sad", "skip")
            assert "another program" in info.value.user_text
            assert s.counts()["feedback"] == 0    # reading still works while another program writes
        finally:
            other.execute("ROLLBACK")
            other.close()
        s.record_feedback("t", "a", "sad", "skip")


_READ_ONLY_CHILD = """
import json, os, sys
from emotune.appdirs import AppDirs
from emotune.core.mood import MoodSnapshot
from emotune.journal import JournalError, JournalStore
if os.getuid() == 0:
    os.setgid(65534); os.setuid(65534)      # root ignores file modes: drop to nobody to test them
try:
    s = JournalStore.open(AppDirs.under(sys.argv[1]))
except JournalError as e:
    print(json.dumps({"open_error": type(e).__name__, "text": e.user_text})); sys.exit()
out = {"read_only": s.read_only, "notice": s.notice, "rows": s.counts()["snapshots"]}
try:
    s.record_snapshot(MoodSnapshot.manual_mood("sad"))
except JournalError as e:
    out.update(error=type(e).__name__, text=e.user_text)
print(json.dumps(out))
"""


def test_read_only_journal_can_be_read_and_gives_a_typed_error_on_write():
    # a folder of its own under /tmp that the unprivileged child can reach (pytest's tmp_path is private)
    with tempfile.TemporaryDirectory(prefix="emotune-ro-") as root:
        os.chmod(root, 0o755)
        dirs = AppDirs.under(Path(root))
        with JournalStore.open(dirs) as s:
            s.record_snapshot(snap())
        data = Path(dirs.data)
        for p in data.iterdir():
            p.chmod(0o444)
        data.chmod(0o555)
        try:
            out = subprocess.run([sys.executable, "-c", _READ_ONLY_CHILD, root], cwd=REPO, capture_output=True,
                                 text=True, timeout=60, env={**os.environ, "HOME": root})
        finally:
            data.chmod(0o755)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert "open_error" not in result, result
    assert result["read_only"] and result["rows"] == 1 and result["error"] == "JournalReadOnlyError"
    assert "read-only" in result["notice"] and "write permission" in result["text"]


def _raised(action) -> Exception:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - the test wants the real error object
        return exc
    raise AssertionError("expected an error")


def test_every_journal_error_has_user_text(tmp_path):
    """Each kind of journal failure, made for real with SQLite or the OS, becomes its typed error whose user
    text names the action and the file and says what to do."""
    from emotune.journal.errors import JournalCorruptError, JournalUnavailableError, translate, translated

    db = tmp_path / "journal.sqlite3"
    holder = sqlite3.connect(db, isolation_level=None, timeout=0)
    holder.execute("CREATE TABLE t (x BLOB)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(db, isolation_level=None, timeout=0)
    locked = _raised(lambda: other.execute("INSERT INTO t VALUES (1)"))
    holder.execute("ROLLBACK")
    read_only = _raised(lambda: sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True).execute(
        "INSERT INTO t VALUES (1)"))
    small = sqlite3.connect(db, isolation_level=None)
    small.execute("PRAGMA max_page_count = 3")
    full = _raised(lambda: small.execute("INSERT INTO t VALUES (zeroblob(100000))"))
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database " * 100)
    corrupt = _raised(lambda: sqlite3.connect(garbage).execute("SELECT * FROM sqlite_master"))
    io_error = OSError(5, "Input/output error")
    expected = {JournalLockedError: (locked, "Close it and try again"),
                JournalReadOnlyError: (read_only, "write permission"),
                JournalDiskFullError: (full, "Free some space"),
                JournalCorruptError: (corrupt, "moves the damaged file aside"),
                JournalUnavailableError: (io_error, "Input/output error")}
    assert set(expected) == set(JournalError.__subclasses__())     # every kind there is, none left out
    for cls, (exc, fix) in expected.items():
        error = translate(exc, db, "save a mood")
        assert type(error) is cls, (exc, error)
        assert error.user_text.startswith("Couldn't save a mood") and str(db) in error.user_text
        assert fix in error.user_text and error.path == db
    with pytest.raises(JournalDiskFullError), translated(db, "save a mood"):   # as the store uses it
        small.execute("INSERT INTO t VALUES (zeroblob(100000))")
    for conn in (holder, other, small):
        conn.close()
    assert MIGRATIONS[0] == V1


def test_recent_summary_condenses_days_for_the_analysis(store):
    import datetime as dt

    assert store.recent_summary(7).to_text() == "No mood journal entries in the last 7 days."
    today = dt.datetime.combine(dt.date.today(), dt.time(12))
    yesterday = today - dt.timedelta(days=1)
    sid = store.start_session("camera 0", ts=yesterday.timestamp())
    for i in range(3):
        store.record_snapshot(snap("sad"), sid, ts=yesterday.timestamp() + 5 * i)
        store.record_snapshot(snap("happy"), sid, ts=today.timestamp() + 5 * i)
    store.record_feedback("t1", ["Adele"], "sad", "like", title="Hello", ts=today.timestamp())
    summary = store.recent_summary(7)
    assert summary.samples == 6 and summary.sessions == 1
    assert [d.dominant for d in summary.per_day] == ["sad", "happy"]
    assert summary.per_day[0].valence < 0 < summary.per_day[1].valence
    assert [d.share for d in summary.per_day] == [0.7, 0.7]   # the dominant emotion's share of its day
    assert summary.liked == {"sad": ("Hello — Adele",)}
    text = summary.to_text()
    assert text.startswith("Last 7 days (1 sessions): mostly ") and "latest day mostly happy" in text
    assert "Liked when sad: Hello — Adele." in text
    plain = json.loads(json.dumps(summary.to_json()))   # plain data, ready for a prompt or a file
    assert plain["samples"] == 6 and plain["sessions"] == 1 and plain["liked"] == {"sad": ["Hello — Adele"]}
    assert [d["dominant"] for d in plain["per_day"]] == ["sad", "happy"]
