"""Evaluated prompt prefixes kept in memory, one per worked example.

The prompt is instructions + genre list (the same all session) + the worked example for the request's main
emotion + the request. llama.cpp reuses evaluated tokens only up to the first difference, so a request whose
main emotion differs from the last one's would evaluate its example again (~150 tokens, about a second with
SmolLM2 on one core of a small machine). This keeps llama.cpp's state of sequence 0 (tokens and KV entries:
~24 KB a token with SmolLM2, llama_state_seq_get_data) after the first generation with each example, and puts
it back before a generation with that example when the model holds another: the generation then evaluates
only its request. Bounded by bytes, least recently used first out; nothing is written to disk.
"""
from __future__ import annotations

import ctypes
import logging
from collections import OrderedDict
from dataclasses import dataclass

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 160 * 1024 * 1024   # 7 SmolLM2 states of ~700 tokens (~17 MB) fit twice over


@dataclass(frozen=True)
class _State:
    tokens: tuple[int, ...]
    data: bytes


class PrefixStates:
    """Per-key saved states of one llama-cpp-python Llama. Call under the engine's generation lock."""

    def __init__(self, capacity_bytes: int = DEFAULT_CAPACITY) -> None:
        self.capacity_bytes = capacity_bytes
        self._states: OrderedDict[str, _State] = OrderedDict()
        self.held: str | None = None      # the key whose prefix the model holds now
        self.restored = 0                 # how many times a state was put back (benchmark, tests)

    def __contains__(self, key: str) -> bool:
        return key in self._states

    def before(self, llama, key: str | None) -> None:
        """Puts back the state saved for `key` when the model holds another key's prefix."""
        if key is None or key == self.held or key not in self._states:
            return
        import llama_cpp

        state = self._states[key]
        self._states.move_to_end(key)
        buf = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llama.ctx), -1, 0, -1)
        if not llama_cpp.llama_state_seq_set_data(llama.ctx, buf, len(state.data), 0):
            log.warning("prefix state for %s could not be restored; the prompt is evaluated", key)
            llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llama.ctx), -1, 0, -1)
            llama.n_tokens = 0
            del self._states[key]
            return
        count = len(state.tokens)
        llama.input_ids[:count] = state.tokens
        llama.n_tokens = count
        llama._requires_eval = True
        self.held = key
        self.restored += 1

    def after(self, llama, key: str | None) -> None:
        """Records that the model now holds `key`'s prefix, and saves its state the first time."""
        self.held = key
        if key is None or key in self._states or self.capacity_bytes <= 0:
            return
        import llama_cpp

        count = int(llama.n_tokens)
        size = int(llama_cpp.llama_state_seq_get_size(llama.ctx, 0))
        if count == 0 or size == 0 or size > self.capacity_bytes:
            return
        buf = (ctypes.c_uint8 * size)()
        written = int(llama_cpp.llama_state_seq_get_data(llama.ctx, buf, size, 0))
        if not 0 < written <= size:
            return
        self._states[key] = _State(tuple(llama.input_ids[:count].tolist()), bytes(buf)[:written])
        while sum(len(s.data) for s in self._states.values()) > self.capacity_bytes:
            self._states.popitem(last=False)

    def forget(self) -> None:
        """Drops every state (the model's memory was changed another way, e.g. a prompt restored from disk)."""
        self._states.clear()
        self.held = None
