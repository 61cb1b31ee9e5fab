"""PyInstaller hook for llama-cpp-python, which ships none.

llama_cpp loads `llama_cpp/lib/libllama.so` (llama.dll, libllama.dylib) with ctypes from a path computed at
run time, so PyInstaller's import analysis never sees it and the frozen app fails with
"Shared library with base name 'llama' not found". We collect the libraries into the same relative folder,
`llama_cpp/lib`, where `llama_cpp.llama_cpp` looks for them inside the bundle.

The wheel installs three identical copies of each Linux library (libX.so, libX.so.0, libX.so.0.x.y);
we keep the name ctypes opens (libX.so) and the SONAME the others link against (libX.so.0), not the third.
mtmd/llava (multimodal models) are left out: EmoTune only runs text models.
"""
from __future__ import annotations

import re
from pathlib import Path

from PyInstaller.utils.hooks import get_package_paths

_, _pkg_dir = get_package_paths("llama_cpp")
_lib_dir = Path(_pkg_dir) / "lib"

_SKIP = re.compile(r"(mtmd|llava)", re.IGNORECASE)
_FULL_VERSION = re.compile(r"\.so\.\d+\.\d+")  # libggml.so.0.25.3: a third copy of the same file

binaries = []
if _lib_dir.is_dir():
    for path in sorted(_lib_dir.iterdir()):
        if not path.is_file() or _SKIP.search(path.name) or _FULL_VERSION.search(path.name):
            continue
        if path.suffix in {".so", ".dylib", ".dll"} or ".so." in path.name:
            binaries.append((str(path), "llama_cpp/lib"))

# The OpenAI-compatible server (fastapi, uvicorn) and the multimodal bindings are never used by EmoTune.
excludedimports = ["llama_cpp.server", "llama_cpp.mtmd_cpp", "llama_cpp.llava_cpp"]
