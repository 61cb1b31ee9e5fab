"""An upgrade keeps what the user has: a user folder written by the previous release (journal at schema v1,
settings.ini, Spotify token cache) is opened by this release. The journal migrates with every row and a backup
of the old file, the settings and the Spotify login read back unchanged, and nothing but the journal is
rewritten. The folder is built from literal text, the way the previous release left it, not by this code."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from emotune.appdirs import AppDirs
from emotune.core.emotions import EMOTIONS
from emotune.journal import JournalStore
from emotune.journal.schema import SCHEMA_VERSION, V1, version_of

REPO = Path(__file__).resolve().parent.parent

# settings.ini as the previous release wrote it (QSettings INI; lists stored comma-separated)
OLD_SETTINGS = """[capture]
camera_index=1

[journal]
enabled=true

[music]
genres="pop, indie"
mode=lift
no_explicit=true

[spotify]
client_id=0123456789abcdef0123456789abcdef
"""
OLD_TOKEN = {"access_token": "BQD-old-access", "token_type": "Bearer", "expires_in": 3600,
             "refresh_token": "AQD-old-refresh", "scope": "playlist-read-private user-read-private",
             "expires_at": 1764000000}


def _previous_release_folder(root: Path) -> AppDirs:
    dirs = AppDirs.under(root)
    for d in (dirs.config, dirs.data):
        d.mkdir(parents=True)
    (dirs.config / "settings.ini").write_text(OLD_SETTINGS)
    token = dirs.config / "spotify-token.json"
    token.write_text(json.dumps(OLD_TOKEN))
    token.chmod(0o600)
    conn = sqlite3.connect(dirs.data / "journal.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(V1 + ";\nPRAGMA user_version = 1;")
    conn.execute("INSERT INTO sessions (started_at, ended_at, source) VALUES (1000, 1900, 'camera 0')")
    cols = ", ".join(EMOTIONS)
    for i in range(30):
        conn.execute(f"INSERT INTO snapshots (session_id, ts, dominant, confidence, valence, arousal, face_count, "
                     f"{cols}) VALUES (1, ?, 'sad', 0.6, -0.4, -0.2, 1, 0, 0, 0, 0.1, 0.6, 0, 0.3)", (1000 + 5 * i,))
    conn.execute("INSERT INTO analyses (session_id, ts, text) VALUES (1, 1100, 'A quiet, low afternoon.')")
    conn.execute("INSERT INTO tracks_shown (session_id, ts, track_id, title, artist, mood) "
                 "VALUES (1, 1101, 'trk1', 'Hello', 'Adele', 'Sad')")
    conn.execute("INSERT INTO feedback (ts, track_id, artist, mood, kind) "
                 "VALUES (1102, 'trk1', 'Adele', 'Sad', 'like')")
    conn.close()                                          # a clean close, as the previous release did at exit
    return dirs


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_previous_releases_folder_survives_an_upgrade(tmp_path):
    dirs = _previous_release_folder(tmp_path / "home")
    settings_file, token_file = dirs.config / "settings.ini", dirs.config / "spotify-token.json"
    before = {p: _digest(p) for p in (settings_file, token_file)}

    # this release's CLI opens the journal first (the window does the same at start)
    env = {**os.environ, "EMOTUNE_HOME": str(tmp_path / "home")}
    info = subprocess.run([sys.executable, "-m", "emotune", "journal", "info"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert info.returncode == 0, info.stderr
    assert f"format version: {SCHEMA_VERSION}" in info.stdout and "snapshots: 30" in info.stdout
    assert "could not be read" not in info.stderr and "newer version" not in info.stderr

    with JournalStore.open(dirs) as store:
        assert store.schema_version == SCHEMA_VERSION and store.notice is None
        assert store.counts() == {"sessions": 1, "snapshots": 30, "analyses": 1, "tracks_shown": 1, "feedback": 1}
        snaps = store.rows("snapshots")
        assert {s["dominant"] for s in snaps} == {"sad"} and snaps[0]["trend"] == "steady"
        assert store.rows("analyses")[0]["text"] == "A quiet, low afternoon."
        assert store.rows("tracks_shown")[0]["mood"] == "sad" and store.rows("feedback")[0]["mood"] == "sad"
        assert store.boosts_for("sad").tracks.get("trk1", 0) > 0          # old likes still rank
        assert store.query("PRAGMA integrity_check") == [("ok",)]

    backup = dirs.data / "journal.sqlite3.v1-backup"
    assert backup.is_file(), sorted(p.name for p in dirs.data.iterdir())
    old = sqlite3.connect(backup)
    try:
        assert version_of(old) == 1 and old.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 30
    finally:
        old.close()
    assert not [p for p in dirs.data.iterdir() if ".corrupt-" in p.name or ".newer-" in p.name]
    assert {p: _digest(p) for p in before} == before       # settings and login untouched by the upgrade

    from emotune.gui import settings as keys
    from emotune.gui.settings import Settings

    settings = Settings.for_user(dirs)
    assert settings.get(keys.CAMERA_INDEX) == 1 and settings.get(keys.MODE) == "lift"
    assert settings.get(keys.GENRES) == ("pop", "indie") and settings.get(keys.NO_EXPLICIT) is True
    assert settings.get(keys.SPOTIFY_CLIENT_ID) == "0123456789abcdef0123456789abcdef"

    from emotune.music.spotify.auth import SecureTokenCache

    cache = SecureTokenCache.in_config(dirs.config)
    assert cache.get_cached_token() == OLD_TOKEN and cache.has_login(("playlist-read-private",))


def test_a_second_start_after_the_upgrade_changes_nothing_more(tmp_path):
    dirs = _previous_release_folder(tmp_path / "home")
    with JournalStore.open(dirs) as store:
        assert store.migrated_from == 1
    backup = dirs.data / "journal.sqlite3.v1-backup"
    stamp = backup.stat().st_mtime_ns
    with JournalStore.open(dirs) as store:
        assert store.migrated_from is None and store.counts()["snapshots"] == 30
    assert backup.stat().st_mtime_ns == stamp                 # the first backup is kept, never overwritten
