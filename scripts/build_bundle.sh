#!/usr/bin/env bash
# Builds the double-clickable EmoTune: dist/EmoTune/ (one folder, `EmoTune` inside), then starts it once
# with --self-test. `make bundle` runs this; docs/packaging.md explains every option.
#
#   scripts/build_bundle.sh                  bundle from the project virtualenv (.venv): quick; its llama.cpp
#                                            was compiled as the Makefile's LLAMA_CMAKE_ARGS say (no -march=native)
#   PORTABLE=1 scripts/build_bundle.sh       release build: llama-cpp-python recompiled without -march=native
#                                            into build/portable-venv (about 7 min on 2 cores, cached after)
#   PORTABLE_CMAKE_ARGS="..."                the CMake flags of that build (default: x86-64-v3, see docs)
#   SELF_TEST=0                              skip the self-test at the end
#   CLEAN=1                                  forget PyInstaller's analysis cache (after upgrading packages)
#   EMOTUNE_ALLOW_INCOMPLETE_BUNDLE=1        build even without the emotion model (development only)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PORTABLE=${PORTABLE:-0}
# GGML_NATIVE=OFF turns off -march=native; ggml then enables SSE4.2/AVX/AVX2/FMA/F16C/BMI2 explicitly
# (the x86-64-v3 level, Intel Haswell and AMD Excavator or newer, 2013+). For older x86 CPUs add
# -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF. Ignored on ARM (macOS arm64 builds fine).
PORTABLE_CMAKE_ARGS=${PORTABLE_CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"}
SELF_TEST=${SELF_TEST:-1}
NICE=(nice -n 10)  # the build machine is shared: stay behind interactive work

say() { printf '\033[1m[bundle]\033[0m %s\n' "$*"; }
die() { printf '[bundle] ERROR: %s\n' "$*" >&2; exit 1; }

[ -x "$VENV/bin/python" ] || die "no virtualenv at $VENV: run \`make install\` first"
PY="$VENV/bin/python"

if [ "$PORTABLE" = 1 ]; then
  PVENV=build/portable-venv
  LLAMA_VERSION=$("$PY" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
  STAMP="$PVENV/.portable-$(printf '%s %s' "$LLAMA_VERSION" "$PORTABLE_CMAKE_ARGS" | sha1sum | cut -c1-12)"
  if [ ! -f "$STAMP" ]; then
    say "portable build: compiling llama-cpp-python $LLAMA_VERSION with CMAKE_ARGS=\"$PORTABLE_CMAKE_ARGS\""
    rm -rf "$PVENV" build/portable-wheels
    python3 -m venv "$PVENV"
    "$PVENV/bin/python" -m pip install --quiet --upgrade pip wheel
    # Same versions as the tested virtualenv, except llama-cpp-python, which is compiled again here.
    "$PY" -m pip freeze --exclude-editable | grep -v -i '^llama[-_]cpp[-_]python' > build/portable-constraints.txt
    # --no-cache-dir: pip's wheel cache does not know CMAKE_ARGS and would hand back the -march=native wheel.
    CMAKE_ARGS="$PORTABLE_CMAKE_ARGS" FORCE_CMAKE=1 "${NICE[@]}" "$PVENV/bin/python" -m pip wheel --quiet \
      --no-deps --no-binary llama-cpp-python --no-cache-dir -w build/portable-wheels \
      "llama-cpp-python==$LLAMA_VERSION"
    "$PVENV/bin/python" -m pip install --quiet -c build/portable-constraints.txt \
      build/portable-wheels/llama_cpp_python-*.whl . pyinstaller
    touch "$STAMP"
  else
    # build.spec puts this checkout first on the analysis path, so its emotune code is what gets bundled.
    say "portable build: reusing $PVENV (llama-cpp-python $LLAMA_VERSION, $PORTABLE_CMAKE_ARGS)"
  fi
  PY="$PVENV/bin/python"
fi

GGUF=models/SmolLM2-135M-Instruct.Q4_1.gguf
[ -f "$GGUF" ] || die "missing $GGUF: run \`make install\` (it downloads the default language model)"
if [ "${EMOTUNE_ALLOW_INCOMPLETE_BUNDLE:-0}" != 1 ]; then
  for f in models/emotion_cnn.onnx models/emotion_cnn.json models/face_detection_short_range.onnx; do
    [ -f "$f" ] || die "missing $f: train the emotion model first (\`.venv/bin/emotune train\`; \`emotune eval --update-card\` writes its .onnx)"
  done
fi
"$PY" -c 'import PyInstaller' 2>/dev/null || die "PyInstaller is not installed in $PY's environment (pip install '.[dev]')"
# PySide6 6.12.0 on Python 3.11 drops a reference to None on every Qt call that returns nothing; a bundle made
# from it dies with "deallocating None" after a while (docs/packaging.md). Refuse to freeze such a binding.
QT_QPA_PLATFORM=offscreen "$PY" -c 'import sys
from PySide6.QtCore import QTimer
t = QTimer(); n = sys.getrefcount(None)
for _ in range(100): t.setInterval(5)
lost = n - sys.getrefcount(None); keep = [None] * max(lost, 0)
sys.exit(1 if lost > 0 else 0)' ||
  die "this PySide6 ($("$PY" -c 'import PySide6; print(PySide6.__version__)')) loses references to None on Python 3.11 and would crash the bundle: install PySide6-Essentials<6.12"

args=(--noconfirm)
[ "${CLEAN:-0}" = 1 ] && args+=(--clean)
say "PyInstaller: build.spec -> dist/EmoTune (a few minutes)"
start=$(date +%s)
"${NICE[@]}" "$PY" -m PyInstaller "${args[@]}" build.spec
say "built in $(( $(date +%s) - start )) s"

DIST=dist/EmoTune
[ -d "$DIST" ] || die "PyInstaller finished but $DIST is missing"
if [ "$(uname -s)" = Linux ]; then
  cp packaging/emotune.desktop assets/emotune.png packaging/install-desktop-entry.sh "$DIST/"
fi
"$PY" - "$DIST" "$PORTABLE" "$PORTABLE_CMAKE_ARGS" <<'EOF'
import json, platform, sys, importlib.metadata as m
dist, portable, cmake_args = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
from emotune import __version__
info = {"emotune": __version__, "python": platform.python_version(), "platform": platform.platform(),
        "machine": platform.machine(), "llama_cpp_python": m.version("llama-cpp-python"),
        "llama_cpu_build": f"portable ({cmake_args})" if portable else "as the virtualenv was built (Makefile)"}
with open(f"{dist}/build-info.json", "w") as f:
    json.dump(info, f, indent=2)
EOF
say "size: $(du -sh "$DIST" | cut -f1) in $DIST"

if [ "$SELF_TEST" = 1 ]; then
  say "self-test: $DIST/EmoTune --self-test (offscreen)"
  home=$(mktemp -d)
  if ! QT_QPA_PLATFORM=offscreen EMOTUNE_HOME="$home" "$DIST/EmoTune" --self-test; then
    echo "--- $home/log/emotune.log (last lines) ---" >&2
    tail -n 40 "$home"/log/emotune*.log >&2 2>/dev/null || true
    die "the bundle's self-test failed"
  fi
  rm -rf "$home"
fi
say "done: start it with $DIST/EmoTune"
