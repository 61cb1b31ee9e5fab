"""The evaluated fixed prompt, kept on disk from one run to the next.

Every analysis starts with the same ~1,000 tokens (instructions, the catalog's genres, three worked examples).
Evaluating them takes ~10 s with SmolLM2-135M on one core of a small machine, and minutes with a 7B model;
`Analyst.warm_up` does it once per run. This file keeps llama.cpp's state for those tokens (the tokens and
their KV entries, via llama_state_seq_get_data: ~24 KB a token with SmolLM2) in the user's cache folder, so
the next run restores it in a fraction of a second. It holds the fixed prompt and a neutral sample request
only, never a measurement of the user.

The file name carries what makes a state reusable: the model file (path, size, modification time), the
context size and the llama-cpp-python version; the file's header holds it too, so a state renamed or copied
from another model is refused. Anything else that changed (a new genre list, new instructions) shows up as
tokens that no longer match: llama.cpp then evaluates from the first difference and the warm-up writes the
file again. The file is checked whole (prompt_state_file.py) before llama.cpp reads any of it: a damaged one is
logged as one line, the prompt evaluated again and the file replaced.
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import re
from pathlib import Path

from emotune.llm.runtime.prompt_state_file import PromptState, PromptStateError, StalePromptState, decode, encode
from emotune.private_files import open_private, private_dir

log = logging.getLogger(__name__)

SUFFIX = ".prompt-state"
KEEP = 3                      # states kept in the folder (several models in turn), the most recently used


def identity(model_path: Path | str, n_ctx: int) -> str:
    """What a state is valid for: this model file (path, size, modification time), context size and build."""
    import llama_cpp

    model_path = Path(model_path).resolve()
    stat = model_path.stat()
    return f"{model_path}|{stat.st_size}|{stat.st_mtime_ns}|{n_ctx}|{llama_cpp.__version__}"


def cache_file(cache_dir: Path, model_path: Path, n_ctx: int) -> Path:
    """Where the prompt state for this model file, context size and llama.cpp build lives."""
    digest = hashlib.sha256(identity(model_path, n_ctx).encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{Path(model_path).resolve().stem}-{digest}{SUFFIX}"


def save(llama, path: Path) -> bool:
    """Writes the tokens `llama` holds evaluated, with their state; replaces the file atomically and removes
    older states of the same model. False (logged) when it could not be written."""
    import llama_cpp

    path = Path(path)
    count = int(llama.n_tokens)
    size = int(llama_cpp.llama_state_seq_get_size(llama.ctx, 0)) if count else 0
    if size == 0:
        return False
    buf = (ctypes.c_uint8 * size)()
    written = int(llama_cpp.llama_state_seq_get_data(llama.ctx, buf, size, 0))
    partial = path.with_name(path.name + ".partial")
    try:
        if not 0 < written <= size:
            raise OSError("llama.cpp gave no state")
        state = PromptState(tuple(llama.input_ids[:count].tolist()), bytes(buf)[:written])
        blob = encode(identity(llama.model_path, llama.n_ctx()), state)
        private_dir(path.parent)
        with open_private(partial, "wb") as fh:   # owner-only from its first byte (it holds the prompt's text)
            fh.write(blob)
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


def read(path: Path, llama) -> PromptState:
    """The state in `path` if it is intact and written for `llama`'s model file, context size and build;
    PromptStateError saying why otherwise (a file that cannot be read included)."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise PromptStateError(f"{path.name} cannot be read ({exc.strerror or exc})") from exc
    return decode(blob, identity(llama.model_path, llama.n_ctx()), capacity=llama.n_ctx(), n_vocab=llama.n_vocab(),
                  name=path.name)


def restore(llama, path: Path) -> int:
    """Loads a state written by `save` into `llama` (which must hold nothing evaluated yet); returns how many
    tokens it holds, or 0 when the file is missing or unusable (damaged, another model or build: one log
    line). The next generation then evaluates only what differs from those tokens."""
    import llama_cpp

    path = Path(path)
    if not path.is_file():
        return 0
    try:
        state = read(path, llama)
    except PromptStateError as exc:      # stale after an upgrade or a model change: routine; otherwise damage
        log.log(logging.INFO if isinstance(exc, StalePromptState) else logging.WARNING,
                "%s; the prompt is evaluated again", exc)
        return 0
    memory = llama_cpp.llama_get_memory(llama.ctx)
    llama_cpp.llama_memory_seq_rm(memory, -1, 0, -1)
    buf = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
    if int(llama_cpp.llama_state_seq_set_data(llama.ctx, buf, len(state.data), 0)) != len(state.data):
        log.warning("prompt state %s was not taken by llama.cpp; the prompt is evaluated again", path.name)
        llama_cpp.llama_memory_seq_rm(memory, -1, 0, -1)
        return 0
    with contextlib.suppress(OSError):
        os.utime(path)            # most recently used: pruned last
    count = len(state.tokens)
    llama.input_ids[:count] = state.tokens
    llama.n_tokens = count
    llama._requires_eval = True   # no logits yet: the next generation evaluates at least one token
    return count
