"""Nothing lost: a process writing to the journal is SIGKILLed many times at random moments; afterwards the
journal opens without being moved aside, passes integrity_check, holds every row the child reported as
committed, and holds each multi-row write whole or not at all.

The moment is a random number of committed writes (1 to 400), counted on the child's report pipe as they
come, so every round kills a child that has committed something, with no sleeping or polling."""
from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from emotune.appdirs import AppDirs
from emotune.journal import JournalStore

REPO = Path(__file__).resolve().parent.parent
KILLS = 20
TRACKS_PER_LIST = 8

# Writes as fast as it can and reports each committed id on its own line on stdout (a pipe), written with one
# os.write after the commit returned, so a line in the report means the row was committed.
_CHILD = f"""
import os, random, sys
from emotune.appdirs import AppDirs
from emotune.core.mood import MoodSnapshot
from emotune.journal import JournalStore
store = JournalStore.open(AppDirs.under(sys.argv[1]))
report = 1
sid = store.start_session("crash test")
rng = random.Random(int(sys.argv[2]))
while True:
    r = rng.random()
    if r < 0.6:
        i = store.record_snapshot(MoodSnapshot.manual_mood(rng.choice(["sad", "happy", "angry"])), sid)
        os.write(report, f"snapshots {{i}}\\n".encode())
    elif r < 0.85:
        i = store.record_feedback(f"t{{rng.randrange(50)}}", "artist", "sad", rng.choice(["like", "skip"]))
        os.write(report, f"feedback {{i}}\\n".encode())
    else:
        tracks = [dict(id=f"t{{k}}", title="x" * 300, artist="a") for k in range({TRACKS_PER_LIST})]
        for i in store.record_tracks_shown(tracks, mood="sad", session_id=sid):
            os.write(report, f"tracks_shown {{i}}\\n".encode())
"""


def _committed(lines: list[str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():          # a line cut by the kill is not a full report
            out.setdefault(parts[0], set()).add(int(parts[1]))
    return out


def _kill_after(child: subprocess.Popen, writes: int) -> list[str]:
    """Reads the child's report until it has committed `writes` rows, kills it there, then reads what it
    reported before it died (lines still in the pipe were committed too)."""
    lines = []
    while len(lines) < writes:
        line = child.stdout.readline()
        assert line, f"the child stopped after {len(lines)} writes: {child.stderr.read().decode()[-2000:]}"
        lines.append(line.decode())
    child.send_signal(signal.SIGKILL)
    lines += [line.decode() for line in child.stdout]
    child.wait()
    return lines


def test_sigkill_at_random_moments_loses_no_committed_row(tmp_path):
    home, rng = tmp_path / "home", random.Random(1234)
    for n in range(KILLS):
        writes = rng.randint(1, 400)
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(home), str(n)], cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            lines = _kill_after(child, writes)
        finally:
            child.kill()
            child.wait()
            child.stdout.close()
            child.stderr.close()
        assert child.returncode == -signal.SIGKILL

        committed = _committed(lines)
        assert sum(map(len, committed.values())) >= writes     # this round really wrote before the kill
        with JournalStore.open(AppDirs.under(home)) as store:
            assert store.notice is None                       # not judged damaged, not moved aside
            assert store.query("PRAGMA integrity_check") == [("ok",)]
            for table, ids in committed.items():
                present = {r[0] for r in store.query(f"SELECT id FROM {table}")}
                assert ids <= present, (n, table, sorted(ids - present)[:5])
            lists = store.query("SELECT ts, COUNT(*) FROM tracks_shown GROUP BY ts")
            assert all(count == TRACKS_PER_LIST for _, count in lists), lists   # a list is whole or absent

    with sqlite3.connect(home / "data" / "journal.sqlite3") as conn:
        total = conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
    print("snapshots after", KILLS, "kills:", total)
    assert not [p for p in (home / "data").iterdir() if ".corrupt-" in p.name]
