"""The real SmolLM2 GGUF stopped and failing: cancel, a newer request, the time budget (reaching into the prompt's
evaluation too), a reply that stays invalid, and missing, truncated, foreign and damaged model files, each ending
in the fallback with a clear reason and a model that stays usable."""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from benchmarks.bench_llm import varied_requests
from emotune.llm.analyst import Analyst
from tests.llm_checks import SEED, assert_valid

pytestmark = pytest.mark.slow


def test_cancel_stops_a_running_generation(analyst):
    cancel = threading.Event()
    pieces: list[str] = []

    def on_text(text: str) -> None:
        pieces.append(text)
        cancel.set()                      # stop as soon as the first words appear

    result = analyst.analyze(varied_requests(1, seed=8)[0], on_text=on_text, cancel=cancel)
    assert result.cancelled and result.source == "fallback" and result.reason == "cancelled"
    assert len(pieces) == 1 and analyst.last_generation.finish_reason == "stopped"


def test_a_newer_request_cancels_the_older_one(analyst):
    old_request, new_request = varied_requests(2, seed=9)
    started, results = threading.Event(), {}

    def older() -> None:
        results["old"] = analyst.analyze(old_request, on_text=lambda text: started.set())

    worker = threading.Thread(target=older)
    worker.start()
    assert started.wait(120)
    results["new"] = analyst.analyze(new_request)
    worker.join(120)
    assert results["old"].cancelled and "newer request" in results["old"].reason
    assert not results["new"].cancelled and analyst.last_generation.finish_reason == "stop"


def test_time_budget_ends_a_slow_generation_cleanly(gguf):
    """A clock that jumps past the budget once the summary starts: generation stops, the fallback comes."""
    now = [0.0]
    slow = Analyst.for_model(gguf, seed=SEED, time_budget_s=5.0, clock=lambda: now[0])

    def on_text(text: str) -> None:
        now[0] += 100.0

    result = slow.analyze(varied_requests(1, seed=3)[0], on_text=on_text)
    assert result.source == "fallback" and not result.cancelled
    assert result.reason == "the time budget of 5 s ran out"
    assert slow.last_generation.finish_reason == "stopped"
    slow.engine.close()


class _TrueAfter:
    """A cancel flag that turns true on its n-th look: stops llama.cpp at a known point without timing."""

    def __init__(self, looks: int) -> None:
        self.looks = looks

    def is_set(self) -> bool:
        self.looks -= 1
        return self.looks < 0


def test_cancel_and_time_budget_stop_the_prompt_evaluation_too(gguf, caplog):
    """Without warm-up the first analysis evaluates ~1,100 prompt tokens before any token comes out (seconds
    here, a minute with a 7B model). Cancel and the time budget reach into that evaluation (llama.cpp's abort
    callback), and the model stays usable afterwards. llama.cpp's own report of the decode it gave up
    ("failed to decode") is no warning: the user asked for it (closing the window mid-analysis logged it)."""
    caplog.set_level(logging.WARNING, logger="emotune.llm.llama_cpp")
    ticks = [0.0]

    def clock() -> float:                 # every look at the clock is 10 ms later
        ticks[0] += 0.01
        return ticks[0]

    analyst = Analyst.for_model(gguf, seed=SEED, time_budget_s=5.0, clock=clock)
    request = varied_requests(2, seed=6)[1]
    result = analyst.analyze(request, cancel=_TrueAfter(50))
    assert result.cancelled and result.reason == "cancelled"
    assert analyst.last_generation.chunks == 0 and analyst.last_generation.finish_reason == "stopped"
    result = analyst.analyze(request)     # the budget runs out ~500 looks in: still in the prompt
    assert result.reason == "the time budget of 5 s ran out" and analyst.last_generation.chunks == 0
    assert [r.getMessage() for r in caplog.records if r.name == "emotune.llm.llama_cpp"] == []
    analyst.time_budget_s = 1e9
    result = analyst.analyze(request)
    assert_valid(result, request)
    assert not result.cancelled and analyst.last_generation.chunks > 10
    analyst.engine.close()


def test_retry_then_fallback_when_replies_stay_invalid(analyst):
    """With too few tokens the JSON cannot close: one retry, then the fallback says why."""
    tight = Analyst(analyst.engine, seed=SEED, max_tokens=12)
    result = tight.analyze(varied_requests(1, seed=6)[0])
    assert result.source == "fallback" and "invalid twice" in result.reason and "token limit" in result.reason


def _broken_files(gguf: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    data = gguf.read_bytes()
    truncated = folder / "truncated.gguf"
    truncated.write_bytes(data[: len(data) // 2])
    foreign = folder / "photo.gguf"
    foreign.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2_000_000))
    damaged = folder / "damaged.gguf"     # a valid layout whose architecture llama.cpp does not know
    damaged.write_bytes(data.replace(b"llama", b"lxxma", 1))
    return {"missing": (folder / "missing.gguf", "not found"), "truncated": (truncated, "truncated"),
            "foreign": (foreign, "not a GGUF model file"), "damaged": (damaged, "llama.cpp could not load")}


def test_broken_or_missing_model_gives_the_fallback_with_a_clear_reason(gguf, tmp_path):
    request = varied_requests(1, seed=1)[0]
    for kind, (path, why) in _broken_files(gguf, tmp_path).items():
        analyst = Analyst.for_model(path)
        messages: list[str] = []
        assert not analyst.load(lambda f, m: messages.append(m)), kind
        assert why in analyst.error and why in messages[-1], (kind, analyst.error)
        result = analyst.analyze(request)
        assert_valid(result, request, llm=False)
        assert result.source == "fallback" and why in result.reason and not result.cancelled, kind
