"""`emotune journal export|delete|info` end to end, in a subprocess against a journal in EMOTUNE_HOME."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emotune.appdirs import AppDirs
from emotune.core.mood import MoodSnapshot
from emotune.journal import JournalStore

REPO = Path(__file__).resolve().parent.parent
DAY = 86400.0


def emotune(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "EMOTUNE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "emotune", "journal", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def home(tmp_path) -> Path:
    """A journal with entries ten days ago and today."""
    now = dt.datetime.now().timestamp()
    with JournalStore.open(AppDirs.under(tmp_path)) as store:
        for ts in (now - 10 * DAY, now):
            sid = store.start_session("camera 0", ts=ts)
            store.record_snapshot(MoodSnapshot.manual_mood("sad"), sid, ts=ts)
            store.record_analysis("You seem a little low.", mood="sad", session_id=sid, ts=ts)
            store.record_tracks_shown([{"id": "4uLU6hMCjMI75M1A2tKUQC", "title": "Song, with comma",
                                        "artists": ["A", "B"], "reason": "calm"}], mood="sad", ts=ts)
            store.record_feedback("4uLU6hMCjMI75M1A2tKUQC", ["A", "B"], "sad", "like", ts=ts)
    return tmp_path


def test_export_json_to_file_and_csv_to_stdout(home, tmp_path):
    out = tmp_path / "journal.json"
    r = emotune(home, "export", "--format", "json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "wrote 10 journal entries" in r.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "emotune.journal-export" and doc["schema_version"] == 2
    assert [len(doc[t]) for t in ("sessions", "snapshots", "analyses", "tracks_shown", "feedback")] == [2] * 5
    assert doc["snapshots"][0]["dominant"] == "sad" and doc["feedback"][0]["kind"] == "like"

    r = emotune(home, "export", "--format", "csv")
    assert r.returncode == 0, r.stderr
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(table) == 10 and table[0]["record"] == "session"
    assert {row["record"] for row in table} == {"session", "snapshot", "analysis", "track_shown", "feedback"}
    assert any(row["title"] == "Song, with comma" for row in table)
    assert [row["time"] for row in table] == sorted(row["time"] for row in table)


def test_delete_before_then_all(home):
    cutoff = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    r = emotune(home, "delete", "--before", cutoff)
    assert r.returncode == 0, r.stderr
    assert "deleted 5 journal entries" in r.stdout
    info = emotune(home, "info")
    assert "snapshots: 1" in info.stdout and "feedback: 1" in info.stdout

    r = emotune(home, "delete", "--all")
    assert r.returncode == 0 and "deleted 5 journal entries" in r.stdout
    with JournalStore.open(AppDirs.under(home)) as store:
        assert sum(store.counts().values()) == 0
    wal = home / "data" / "journal.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0          # nothing left behind in the WAL either
    raw = (home / "data" / "journal.sqlite3").read_bytes()
    assert b"You seem a little low" not in raw and b"Song, with comma" not in raw


def test_bad_arguments_and_unwritable_output_give_clear_messages(home, tmp_path):
    r = emotune(home, "delete")
    assert r.returncode == 2 and "--before" in r.stderr and "--all" in r.stderr
    r = emotune(home, "delete", "--before", "last tuesday")
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr
    r = emotune(home, "export", "--out", str(tmp_path / "no" / "such" / "dir" / "x.json"))
    assert r.returncode == 2 and "can't write" in r.stderr


def test_a_corrupt_journal_is_reported_by_the_cli(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "journal.sqlite3").write_bytes(b"garbage" * 1000)
    r = emotune(tmp_path, "info")
    assert r.returncode == 0 and "could not be read" in r.stderr and "snapshots: 0" in r.stdout


def test_retention_keeps_only_the_last_days_and_export_takes_a_range(home, tmp_path):
    week_ago = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    r = emotune(home, "export", "--format", "json", "--until", week_ago)
    assert r.returncode == 0, r.stderr
    old = json.loads(r.stdout)
    assert [len(old[t]) for t in ("sessions", "snapshots", "analyses", "tracks_shown", "feedback")] == [1] * 5
    r = emotune(home, "export", "--since", week_ago, "--until", "2000-01-01")
    assert r.returncode == 2 and "--until must be after --since" in r.stderr

    r = emotune(home, "delete", "--older-than", "soon")
    assert r.returncode == 2 and "number of days" in r.stderr
    r = emotune(home, "delete", "--older-than", "30")
    assert r.returncode == 0 and "deleted 0 journal entries (every entry older than 30 days)" in r.stdout
    r = emotune(home, "delete", "--older-than", "3")
    assert r.returncode == 0 and "deleted 5 journal entries" in r.stdout
    with JournalStore.open(AppDirs.under(home)) as store:
        assert store.counts() == {"sessions": 1, "snapshots": 1, "analyses": 1, "tracks_shown": 1, "feedback": 1}
