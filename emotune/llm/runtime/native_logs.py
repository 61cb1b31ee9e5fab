"""Keeps llama.cpp quiet and safe in a windowed app: its native log lines go to Python logging (not to a
console that may not exist), and file descriptors 1 and 2 are made valid before it runs, because
llama-cpp-python redirects them while loading and a windowed bundle starts without them."""
from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger("emotune.llm.llama_cpp")

# ggml log levels: 0 none, 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous line.
# llama.cpp's warnings are about its own configuration (e.g. a context shorter than the trained one), not
# something the user can act on, so they go to INFO; its errors are followed by our own clear message.
_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.DEBUG, 3: logging.INFO, 4: logging.WARNING}
_callback = None   # the ctypes callback must outlive every native call that may log; kept here for that


def _to_logging(level: int, text: bytes, _user_data) -> None:
    try:
        message = text.decode("utf-8", errors="replace").rstrip()
        if message:
            log.log(_LEVELS.get(level, logging.DEBUG), "%s", message)
    except Exception:  # noqa: BLE001 - an exception must never cross back into C
        pass


def route_llama_logs() -> None:
    """Routes llama.cpp's and ggml's logging to the `emotune.llm.llama_cpp` logger (idempotent)."""
    global _callback
    if _callback is not None:
        return
    import llama_cpp

    _callback = llama_cpp.llama_log_callback(_to_logging)
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))


def ensure_std_fds() -> None:
    """Opens /dev/null on descriptors 0-2 where they are closed (pythonw, windowed bundles, daemons)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
