"""The evaluated fixed prompt, kept on disk from one run to the next.

Every analysis starts with the same ~1,000 tokens (instructions, the catalog's genres, three worked examples).
Evaluating them takes ~10 s with SmolLM2-135M on one core of a small machine, and minutes with a 7B model;
`Analyst.warm_up` does it once per run. This file keeps llama.cpp's state for those tokens (the tokens and
their KV entries, via llama_state_seq_save_file: ~24 KB a token with SmolLM2) in the user's cache folder, so
the next run restores it in a fraction of a second. It holds the fixed prompt and a neutral sample request
only, never a measurement of the user.

The file name carries what makes a state reusable: the model file (path, size, modification time), the
context size and the llama-cpp-python version. Anything else that changed (a new genre list, new
instructions) shows up as tokens that no longer match: llama.cpp then evaluates from the first difference
and the warm-up writes the file again.
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import re
from pathlib import Path

from emotune.private_files import private_dir, private_file

log = logging.getLogger(__name__)

SUFFIX = ".prompt-state"
KEEP = 3                      # states kept in the folder (several models in turn), the most recently used


def cache_file(cache_dir: Path, model_path: Path, n_ctx: int) -> Path:
    """Where the prompt state for this model file, context size and llama.cpp build lives."""
    import llama_cpp

    model_path = Path(model_path).resolve()
    stat = model_path.stat()
    key = f"{model_path}|{stat.st_size}|{stat.st_mtime_ns}|{n_ctx}|{llama_cpp.__version__}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{model_path.stem}-{digest}{SUFFIX}"


def save(llama, path: Path) -> bool:
    """Writes the tokens `llama` holds evaluated, with their state; replaces the file atomically and removes
    older states of the same model. False (logged) when it could not be written."""
    import llama_cpp

    path = Path(path)
    count = int(llama.n_tokens)
    if count == 0:
        return False
    tokens = (llama_cpp.llama_token * count)(*llama.input_ids[:count].tolist())
    partial = path.with_name(path.name + ".partial")
    try:
        private_dir(path.parent)
        private_file(partial)   # owner-only before llama.cpp writes the state (it holds the prompt's text)
        written = llama_cpp.llama_state_seq_save_file(llama.ctx, os.fsencode(partial), 0, tokens, count)
        if not written:
            raise OSError("llama.cpp wrote nothing")
        os.replace(partial, path)
    except OSError as exc:
        log.warning("prompt state not saved to %s: %s", path, exc)
        partial.unlink(missing_ok=True)
        return False
    _prune(path)
    log.info("prompt state saved: %d tokens, %.1f MB, %s", count, path.stat().st_size / 1e6, path.name)
    return True


def _prune(kept: Path) -> None:
    """Removes the older states of the model just saved, and keeps at most KEEP states in all, the most
    recently used (a 7B model's state is ~130 MB)."""
    same_model = re.compile(re.escape(kept.name[: -len(SUFFIX) - 16]) + "[0-9a-f]{16}" + re.escape(SUFFIX))
    others = []
    for state in kept.parent.glob(f"*{SUFFIX}"):
        if state == kept:
            continue
        if same_model.fullmatch(state.name):
            state.unlink(missing_ok=True)
        else:
            others.append(state)
    others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for state in others[KEEP - 1:]:
        state.unlink(missing_ok=True)


def restore(llama, path: Path) -> int:
    """Loads a state written by `save` into `llama` (which must hold nothing evaluated yet); returns how many
    tokens it holds, or 0 when the file is missing or unusable (damaged, another model or build). The next
    generation then evaluates only what differs from those tokens."""
    import llama_cpp

    path = Path(path)
    if not path.is_file():
        return 0
    capacity = llama.n_ctx()
    tokens = (llama_cpp.llama_token * capacity)()
    count = ctypes.c_size_t(0)
    loaded = llama_cpp.llama_state_seq_load_file(llama.ctx, os.fsencode(path), 0, tokens, capacity,
                                                 ctypes.byref(count))
    if not loaded or not 0 < count.value <= capacity:
        log.warning("prompt state %s is unusable; the prompt is evaluated again", path.name)
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llama.ctx), -1, 0, -1)
        return 0
    with contextlib.suppress(OSError):
        os.utime(path)            # most recently used: pruned last
    llama.input_ids[: count.value] = tokens[: count.value]
    llama.n_tokens = count.value
    llama._requires_eval = True   # no logits yet: the next generation evaluates at least one token
    return count.value
