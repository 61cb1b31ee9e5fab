"""The prompt-state file's format, checked whole before llama.cpp sees a byte of it.

llama.cpp's own state file (llama_state_seq_save_file) is read by native code that trusts what it reads: a
damaged byte in the middle loads without a word and the model then answers from garbage, and some damage
stops the process at an assertion. So EmoTune writes its own file around llama.cpp's state data: a header
(magic, format version, which model file, context size and build it belongs to, token count, data length,
SHA-256 of the rest), the tokens, then the data. `decode` refuses anything but an intact file written for
this model with PromptStateError, saying why; only then is the data handed to llama_state_seq_set_data.
No llama.cpp here: the format can be tested (and fuzzed) without a model.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"EmoTuneP"
VERSION = 1
LLAMA_CPP_MAGIC = struct.pack("<I", 0x67677371)   # 'ggsq': llama.cpp's own file, which EmoTune wrote before VERSION 1
# magic, format version, SHA-256 of the identity, token count, data length, SHA-256 of tokens + data
_HEADER = struct.Struct("<8sI32sIQ32s")


class PromptStateError(ValueError):
    """A prompt-state file that cannot be used; the message names the file and says why."""


class StalePromptState(PromptStateError):
    """An intact file that belongs to an earlier EmoTune or to another model, context size or build: expected
    after an upgrade or a change of model, not damage."""


@dataclass(frozen=True)
class PromptState:
    tokens: tuple[int, ...]
    data: bytes          # llama_state_seq_get_data of sequence 0 after those tokens


def encode(identity: str, state: PromptState) -> bytes:
    """The file's bytes. `identity` names what the state is valid for (model file, context size, build)."""
    tokens = np.asarray(state.tokens, dtype="<i4").tobytes()
    body = tokens + state.data
    return _HEADER.pack(MAGIC, VERSION, _digest(identity), len(state.tokens), len(state.data),
                        hashlib.sha256(body).digest()) + body


def decode(blob: bytes, identity: str, capacity: int, n_vocab: int, name: str = "the prompt state") -> PromptState:
    """The state in `blob`, or PromptStateError when it is not an intact file written by `encode` for
    `identity`, or holds more tokens than `capacity` (the context size) or a token outside the vocabulary."""
    if len(blob) < _HEADER.size:
        raise PromptStateError(f"{name} is cut short ({len(blob)} bytes)")
    magic, version, owner, count, size, checksum = _HEADER.unpack_from(blob)
    if blob.startswith(LLAMA_CPP_MAGIC):
        raise StalePromptState(f"{name} was saved by an earlier version of EmoTune")
    if magic != MAGIC:
        raise PromptStateError(f"{name} is not an EmoTune prompt state")
    if version != VERSION:
        raise StalePromptState(f"{name} has format {version}, which this version of EmoTune does not read")
    if owner != _digest(identity):
        raise StalePromptState(f"{name} was written for another model file, context size or llama.cpp build")
    if not 0 < count <= capacity:
        raise PromptStateError(f"{name} holds {count} tokens, not 1 to {capacity} (the context size)")
    if size == 0:
        raise PromptStateError(f"{name} holds no model state")
    expected = _HEADER.size + 4 * count + size
    if len(blob) != expected:
        raise PromptStateError(f"{name} is cut short ({len(blob)} of {expected} bytes)" if len(blob) < expected
                               else f"{name} has {len(blob) - expected} bytes more than it should")
    body = memoryview(blob)[_HEADER.size:]
    if hashlib.sha256(body).digest() != checksum:
        raise PromptStateError(f"{name} is damaged (its checksum does not match)")
    tokens = np.frombuffer(blob, dtype="<i4", count=count, offset=_HEADER.size)
    if tokens.min() < 0 or tokens.max() >= n_vocab:
        raise PromptStateError(f"{name} holds a token outside the model's vocabulary of {n_vocab}")
    return PromptState(tuple(tokens.tolist()), bytes(body[4 * count:]))


def _digest(identity: str) -> bytes:
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).digest()
