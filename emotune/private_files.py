"""Owner-only folders and files for everything that describes the user: the mood journal, its backups and
exports, the logs and the LLM's prompt states (the Spotify token does the same in music/spotify/auth.py).

Why: files are otherwise created with the umask, often 022, so anyone with an account on the computer could
read a mood history. Folders become 0700 and files 0600 (`restrict` only removes group and other bits, so a
read-only journal stays read-only). Files are created owner-only BEFORE a library (SQLite, logging, llama.cpp)
writes into them, so their contents are never readable by others, not even for a moment. On Windows chmod
can only set read-only; the user's profile folders are private there already, and these calls change nothing.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def restrict(path: Path) -> None:
    """Removes group and other permissions from `path` (logged, not raised, when that is not allowed)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
    except OSError as exc:
        log.debug("cannot make %s owner-only: %s", path, exc)


def private_dir(path: Path | str) -> Path:
    """Creates the folder `path` and makes it owner-only; parents it has to create are owner-only too
    (`mkdir -p` would make them with the umask), parents that exist are left alone. Only for EmoTune's own
    folders: never for a folder the user chose (an export's)."""
    path = Path(path)
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:   # made meanwhile by another thread or process
            pass
    path = missing[0] if missing else path
    restrict(path)
    return path


def private_file(path: Path | str) -> Path:
    """Creates `path` empty if it is missing, owner-only, and makes an existing one owner-only. The folder
    must exist."""
    path = Path(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE))
    restrict(path)
    return path


def private_opener(path: str, flags: int) -> int:
    """An `opener` for open(): a file it creates is owner-only from its first byte; an existing one becomes so."""
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o077 and hasattr(os, "fchmod"):
            os.fchmod(fd, mode & 0o700)
    except OSError as exc:
        log.debug("cannot make %s owner-only: %s", path, exc)
    return fd


def open_private(path: Path | str, mode: str = "w", **kwargs: Any) -> IO:
    """open() for a file only the owner may read (a journal export)."""
    return open(path, mode, opener=private_opener, **kwargs)   # the caller closes it
