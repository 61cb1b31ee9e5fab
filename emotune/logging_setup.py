"""Where EmoTune's logs go: a rotating file in the user's log folder, plus stderr when there is one.

A double-clicked app has no console. On Windows (and for a macOS .app) a windowed PyInstaller build starts
with `sys.stdout`/`sys.stderr` set to None and no valid file descriptors 1 and 2, and then:
- `print()` from a library, Keras' progress output or `logging.StreamHandler` write into None and raise;
- llama-cpp-python's `suppress_stdout_stderr` calls `os.dup(1)`/`os.dup(2)` and fails with EBADF;
- TensorFlow and llama.cpp write their C++ logs to fd 2, which goes nowhere.
`prepare_streams` fixes the streams before any of them is imported (the bundle's runtime hook calls
`setup_app_logging` first thing); `configure_logging` gives every Python logger (ours, TensorFlow's, absl's)
one rotating file, so a user can send us `emotune.log` when something goes wrong.
"""
from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import TextIO

from emotune.private_files import private_dir, private_file, private_opener

LOG_FILE = "emotune.log"
NATIVE_LOG_FILE = "emotune-native.log"  # fd-level output of C/C++ code (TF, llama.cpp) when there is no console
LOG_FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"
MAX_BYTES = 1_000_000
BACKUPS = 3
NATIVE_MAX_BYTES = 2_000_000

# Libraries whose INFO chatter would drown our own log lines.
_NOISY_LOGGERS = ("tensorflow", "absl", "h5py", "PIL", "matplotlib", "urllib3", "llama-cpp-python")

logger = logging.getLogger(__name__)


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are owner-only (0600), the new one after each rollover included: log lines
    can name the user's moods and files."""

    def _open(self):
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
                    opener=private_opener)


def quiet_native_logs(env: dict[str, str] | None = None) -> None:
    """Asks TensorFlow's C++ side for warnings and errors only; set before TensorFlow is imported.

    Uses setdefault so a developer can still export TF_CPP_MIN_LOG_LEVEL=0 to see everything.
    """
    env = os.environ if env is None else env
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # 0 all, 1 no INFO, 2 no WARNING, 3 no ERROR


def keep_library_files_in(cache_dir: Path | None, env: dict[str, str] | None = None) -> None:
    """Points libraries that would write into the user's home at EmoTune's cache folder; call before importing them.

    Keras creates `~/.keras/keras.json` when it is first imported, which breaks the promise that EmoTune writes
    only into its own folders (tests/test_privacy.py checks HOME). setdefault: a user's own KERAS_HOME wins.
    """
    env = os.environ if env is None else env
    if cache_dir is not None:
        env.setdefault("KERAS_HOME", str(Path(cache_dir) / "keras"))


def _fd_is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _rotate_if_large(path: Path, max_bytes: int) -> None:
    try:
        if path.stat().st_size > max_bytes:
            path.replace(path.with_name(path.name + ".1"))
    except OSError:
        pass


def prepare_streams(log_dir: Path | None) -> bool:
    """Makes stdin/stdout/stderr usable at both levels (sys.* objects and fds 0-2) when they are missing.

    Missing descriptors are pointed at `log_dir/emotune-native.log` (stdout, stderr) or os.devnull (stdin, or
    when the log folder cannot be written), so native libraries keep somewhere to write and their messages are
    kept. Returns True when anything was missing, i.e. we run without a console.
    """
    missing = [fd for fd in (0, 1, 2) if not _fd_is_open(fd)]
    streams_missing = sys.stdout is None or sys.stderr is None or sys.stdin is None
    if not missing and not streams_missing:
        return False
    target = os.devnull
    if log_dir is not None:
        try:
            private_dir(log_dir)
            native = log_dir / NATIVE_LOG_FILE
            _rotate_if_large(native, NATIVE_MAX_BYTES)
            private_file(native)
            target = str(native)
        except OSError:
            target = os.devnull
    for fd in missing:
        flags = os.O_RDONLY if fd == 0 else os.O_WRONLY | os.O_APPEND | os.O_CREAT
        opened = os.open(os.devnull if fd == 0 else target, flags)
        if opened != fd:  # os.open returns the lowest free fd, which is usually the missing one already
            os.dup2(opened, fd)
            os.close(opened)
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        # Python-level stderr (llama.cpp's log callback, uncaught thread exceptions) joins the native log.
        sys.stderr = open(target, "a", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
    return True


def _stream_usable(stream: TextIO | None) -> bool:
    if stream is None:
        return False
    try:
        return _fd_is_open(stream.fileno()) and getattr(stream, "name", "") != os.devnull
    except (OSError, ValueError, AttributeError):
        return True  # a stream without a file descriptor (pytest capture, IDE console) still works


def _adopt_plain_console(root: logging.Logger) -> None:
    """Drops a plain stderr handler that `logging.basicConfig` added (the `emotune` command sets one up before
    `emotune gui` configures the app's), so each line reaches stderr once, through our own handler."""
    for handler in list(root.handlers):
        plain = type(handler) is logging.StreamHandler and getattr(handler, "_emotune", None) is None
        if plain and handler.stream in (sys.stderr, sys.__stderr__):
            root.removeHandler(handler)


def configure_logging(log_dir: Path | None, *, verbose: bool = False, console: bool = True) -> Path | None:
    """Sends every logger to a rotating `log_dir/emotune.log` (and to stderr when `console` and usable).

    Idempotent: calling it again (the runtime hook, then the CLI) only adjusts levels. Returns the log file,
    or None when the folder cannot be written (logging then goes to stderr only, never raises).
    """
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = logging.Formatter(LOG_FORMAT)
    _adopt_plain_console(root)
    ours = {getattr(h, "_emotune", None): h for h in root.handlers}
    log_file: Path | None = None
    if "file" in ours:
        log_file = Path(ours["file"].baseFilename)
    elif log_dir is not None:
        try:
            private_dir(log_dir)
            log_file = log_dir / LOG_FILE
            file_handler = _PrivateRotatingFileHandler(
                log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
            )
            file_handler.setFormatter(formatter)
            file_handler._emotune = "file"  # type: ignore[attr-defined]
            root.addHandler(file_handler)
        except OSError as exc:
            log_file = None
            print(f"EmoTune: cannot write the log folder {log_dir}: {exc}", file=sys.stderr)
    if console and "console" not in ours and _stream_usable(sys.stderr):
        console_handler = logging.StreamHandler(sys.stderr)
        console_handler.setFormatter(formatter)
        console_handler._emotune = "console"  # type: ignore[attr-defined]
        root.addHandler(console_handler)
    for handler in root.handlers:
        if getattr(handler, "_emotune", None) == "console":
            handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.captureWarnings(True)  # warnings.warn from Keras/TF land in the file too, not on a missing stderr
    return log_file


def setup_app_logging(log_dir: Path | None = None, *, verbose: bool = False) -> Path | None:
    """Everything a starting EmoTune process needs, in order: streams, native log levels, library folders
    (KERAS_HOME in the app's cache), log file.

    `log_dir` defaults to `AppDirs.default().log` (EMOTUNE_HOME respected). Safe to call more than once.
    """
    cache_dir = None
    try:
        from emotune.appdirs import AppDirs

        dirs = AppDirs.default()
        cache_dir = dirs.cache
        log_dir = dirs.log if log_dir is None else log_dir
    except Exception:  # platformdirs missing or HOME unset: keep going with stderr only
        pass
    headless = prepare_streams(log_dir)
    quiet_native_logs()
    keep_library_files_in(cache_dir)
    if headless and not faulthandler.is_enabled():
        try:
            faulthandler.enable(file=sys.stderr)  # a native crash (e.g. SIGILL on an old CPU) leaves a trace
        except (ValueError, OSError, AttributeError):
            pass
    log_file = configure_logging(log_dir, verbose=verbose, console=not headless)
    logger.debug("logging to %s (console: %s)", log_file, not headless)
    return log_file
