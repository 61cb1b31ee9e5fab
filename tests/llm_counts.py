"""An opt-in pytest plugin that counts the language model's work per test, for comparing the suite's cost
before and after a change (absolute times on a shared machine say little; counts do not vary):
`pytest -p tests.llm_counts ...` prints, per test that used the model, the models loaded, the prompt
tokens evaluated, the generations and the tokens generated, and the totals; with EMOTUNE_LLM_COUNTS=path
it also writes them as JSON. Counts only this process (not `emotune` children)."""
from __future__ import annotations

import json
import os
from collections import Counter

import pytest

_KEYS = ("loads", "prompt_tokens", "generations", "generated_tokens")


class _Counts:
    def __init__(self) -> None:
        self.per_test: dict[str, Counter] = {}
        self.current: Counter | None = None

    def add(self, key: str, n: int = 1) -> None:
        if self.current is not None:
            self.current[key] += n


_COUNTS = _Counts()


def _patch(monkeypatch: pytest.MonkeyPatch) -> None:
    import llama_cpp

    from emotune.llm.runtime import engine

    init, eval_ = llama_cpp.Llama.__init__, llama_cpp.Llama.eval
    generate = engine.LlamaEngine._generate

    def counted_init(self, *args, **kwargs):
        _COUNTS.add("loads")
        init(self, *args, **kwargs)

    def counted_eval(self, tokens):
        if len(tokens) > 1:             # a generated token is evaluated alone; a prompt comes in one call
            _COUNTS.add("prompt_tokens", len(tokens))
        eval_(self, tokens)

    def counted_generate(self, *args, **kwargs):
        gen = generate(self, *args, **kwargs)
        _COUNTS.add("generations")
        _COUNTS.add("generated_tokens", gen.chunks)
        return gen

    monkeypatch.setattr(llama_cpp.Llama, "__init__", counted_init)
    monkeypatch.setattr(llama_cpp.Llama, "eval", counted_eval)
    monkeypatch.setattr(engine.LlamaEngine, "_generate", counted_generate)


@pytest.fixture(scope="session", autouse=True)
def _count_llm_work():
    with pytest.MonkeyPatch.context() as monkeypatch:
        _patch(monkeypatch)
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _COUNTS.current = _COUNTS.per_test.setdefault(item.nodeid, Counter())
    yield
    _COUNTS.current = None


def pytest_terminal_summary(terminalreporter):
    used = {k: v for k, v in _COUNTS.per_test.items() if v}
    if not used:
        return
    write = terminalreporter.write_line
    write("LLM work per test: " + " ".join(_KEYS))
    for nodeid, counts in sorted(used.items()):
        write(f"{' '.join(f'{counts[k]:6d}' for k in _KEYS)}  {nodeid}")
    total = sum(used.values(), Counter())
    write(f"{' '.join(f'{total[k]:6d}' for k in _KEYS)}  TOTAL")
    if path := os.environ.get("EMOTUNE_LLM_COUNTS"):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({k: dict(v) for k, v in used.items()}, fh, indent=1)
