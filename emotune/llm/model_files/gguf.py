"""A small GGUF header reader: enough to tell a real, complete model file from a truncated or foreign one
before llama.cpp sees it (llama.cpp only says "failed to load model"), and to learn the model's name,
trained context length and whether it carries its own chat template.

Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (versions 2 and 3; version 1 is obsolete).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# Scalar value types → byte size; 8 = string, 9 = array (variable size).
_SCALAR_SIZE = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_SCALAR_FMT = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9

# ggml tensor types → (elements per block, bytes per block), from ggml's type traits.
GGML_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
    23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17),
}

_WANTED = ("general.name", "general.architecture", "general.alignment", "tokenizer.chat_template")


class GGUFError(ValueError):
    """The file is not a GGUF model or is incomplete; the message says which, for the user."""


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    version: int
    file_size: int
    expected_size: int          # where the last tensor ends; a smaller file is truncated
    tensor_count: int
    name: str
    architecture: str
    context_length: int         # 0 when the file does not say
    has_chat_template: bool


class _Reader:
    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh, self.size = fh, size

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise EOFError
        return data

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def skip(self, n: int) -> None:
        if self.fh.tell() + n > self.size:
            raise EOFError
        self.fh.seek(n, 1)

    def string(self, keep: bool) -> str | None:
        n = self.unpack("<Q")
        if not keep:
            self.skip(n)
            return None
        if self.fh.tell() + n > self.size:   # a damaged length must not make us allocate gigabytes
            raise EOFError
        return self.read(n).decode("utf-8", errors="replace")

    def value(self, vtype: int, keep: bool):
        if vtype == _STRING:
            return self.string(keep)
        if vtype == _ARRAY:
            item_type, count = self.unpack("<I"), self.unpack("<Q")
            if item_type in _SCALAR_SIZE:
                self.skip(_SCALAR_SIZE[item_type] * count)
            else:
                for _ in range(count):
                    self.value(item_type, False)
            return None
        if vtype not in _SCALAR_FMT:
            raise GGUFError(f"unknown metadata type {vtype}")
        return self.unpack(_SCALAR_FMT[vtype])


def read_gguf_info(path: Path) -> GGUFInfo:
    """Reads the header, metadata and tensor table of `path`. Raises GGUFError (with a message for the user)
    for a file that is not GGUF, uses an unsupported version, or is shorter than its tensor table says."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb", buffering=1 << 16) as fh:
        r = _Reader(fh, size)
        head = fh.read(4)
        if head != MAGIC:
            raise GGUFError(f"{path.name} is not a GGUF model file (it starts with {head[:4]!r}, not b'GGUF')")
        try:
            version = r.unpack("<I")
            if version not in (2, 3):
                raise GGUFError(f"{path.name} uses GGUF version {version}; llama.cpp reads versions 2 and 3")
            n_tensors, n_kv = r.unpack("<Q"), r.unpack("<Q")
            meta: dict[str, object] = {}
            for _ in range(n_kv):
                key = r.string(True) or ""
                vtype = r.unpack("<I")
                keep = key in _WANTED or key.endswith(".context_length")
                value = r.value(vtype, keep)
                if keep:
                    meta[key] = value
            end = 0
            last_unknown_offset = 0
            for _ in range(n_tensors):
                r.string(False)
                n_dims = r.unpack("<I")
                elements = 1
                for _ in range(n_dims):
                    elements *= r.unpack("<Q")
                ttype, offset = r.unpack("<I"), r.unpack("<Q")
                block = GGML_BLOCKS.get(ttype)
                if block is None:
                    last_unknown_offset = max(last_unknown_offset, offset + 1)
                else:
                    end = max(end, offset + elements // block[0] * block[1])
            alignment = int(meta.get("general.alignment") or DEFAULT_ALIGNMENT)
            data_start = -(-fh.tell() // alignment) * alignment
        except EOFError:
            raise GGUFError(_truncated(path, size, None)) from None
    expected = data_start + max(end, last_unknown_offset)
    if size < expected:
        raise GGUFError(_truncated(path, size, expected))
    arch = str(meta.get("general.architecture") or "")
    return GGUFInfo(
        path=path, version=version, file_size=size, expected_size=expected, tensor_count=n_tensors,
        name=str(meta.get("general.name") or path.stem), architecture=arch,
        context_length=int(meta.get(f"{arch}.context_length") or 0),
        has_chat_template=bool(meta.get("tokenizer.chat_template")),
    )


def _truncated(path: Path, size: int, expected: int | None) -> str:
    should = f" of {_size(expected)}" if expected else ""
    return (f"{path.name} is truncated or damaged: only {_size(size)}{should} are there (an interrupted "
            f"download or copy); download or copy the model again")


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} bytes"
