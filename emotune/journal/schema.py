"""The journal's tables and the migrations between schema versions.

The version lives in `PRAGMA user_version`. Each migration runs in its own transaction together with the
version bump, so a kill during an upgrade leaves the file at the old or the new version, never in between.
Only numbers and short labels are stored: no column holds a BLOB, and no image or face crop is ever written.
"""
from __future__ import annotations

import sqlite3

from emotune.core.emotions import EMOTIONS

_EMOTION_COLUMNS = ", ".join(f"{e} REAL NOT NULL" for e in EMOTIONS)

# v1: the first released layout. Kept verbatim: tests build a v1 file from it and check that it migrates.
V1 = f"""
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY, started_at REAL NOT NULL, ended_at REAL, source TEXT NOT NULL DEFAULT ''
);
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY, session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    ts REAL NOT NULL, dominant TEXT NOT NULL, confidence REAL NOT NULL,
    valence REAL NOT NULL, arousal REAL NOT NULL, face_count INTEGER NOT NULL, manual INTEGER NOT NULL DEFAULT 0,
    {_EMOTION_COLUMNS}
);
CREATE INDEX snapshots_ts ON snapshots(ts);
CREATE TABLE analyses (
    id INTEGER PRIMARY KEY, session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    ts REAL NOT NULL, text TEXT NOT NULL
);
CREATE TABLE tracks_shown (
    id INTEGER PRIMARY KEY, session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    ts REAL NOT NULL, track_id TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', artist TEXT NOT NULL DEFAULT '',
    mood TEXT NOT NULL DEFAULT ''
);
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, track_id TEXT NOT NULL, artist TEXT NOT NULL DEFAULT '',
    mood TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('like', 'skip', 'not_for_mood'))
)
"""

# v2: trend and hold time per snapshot, where an analysis and a track list came from, track titles on feedback,
# and indexes for the journal view; v1 stored moods as the caller spelled them, v2 keeps them lower-case.
V2 = """
ALTER TABLE snapshots ADD COLUMN trend TEXT NOT NULL DEFAULT 'steady';
ALTER TABLE snapshots ADD COLUMN held_s REAL NOT NULL DEFAULT 0;
ALTER TABLE analyses ADD COLUMN mood TEXT NOT NULL DEFAULT '';
ALTER TABLE analyses ADD COLUMN source TEXT NOT NULL DEFAULT 'llm';
ALTER TABLE tracks_shown ADD COLUMN album TEXT NOT NULL DEFAULT '';
ALTER TABLE tracks_shown ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tracks_shown ADD COLUMN mode TEXT NOT NULL DEFAULT 'match';
ALTER TABLE tracks_shown ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback ADD COLUMN session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL;
UPDATE feedback SET mood = lower(trim(mood));
UPDATE tracks_shown SET mood = lower(trim(mood));
CREATE INDEX feedback_mood_ts ON feedback(mood, ts);
CREATE INDEX feedback_ts ON feedback(ts);
CREATE INDEX tracks_shown_ts ON tracks_shown(ts);
CREATE INDEX analyses_ts ON analyses(ts)
"""

MIGRATIONS: tuple[str, ...] = (V1, V2)   # MIGRATIONS[i] takes the file from version i to i + 1
SCHEMA_VERSION = len(MIGRATIONS)
TABLES = ("sessions", "snapshots", "analyses", "tracks_shown", "feedback")


def version_of(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> list[int]:
    """Applies the missing migrations up to `target`, each atomically; returns the versions reached.
    `conn` must be in autocommit mode (isolation_level=None) so the transactions here are the only ones."""
    reached = []
    while (current := version_of(conn)) < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if version_of(conn) != current:    # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            for statement in MIGRATIONS[current].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {current + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        reached.append(current + 1)
    return reached
