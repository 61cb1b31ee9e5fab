"""LLM analysis benchmark with the default model (SmolLM2-135M-Instruct Q4_1): load time, time to first
token, tokens per second, end-to-end analysis time and the share of valid first attempts over 50 varied
mood histories, each next to its goal as a ratio (goal: analysis end to end within 3 s on this machine).

`varied_summaries` is also what the tests use for "different histories".
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from emotune.core.emotions import EMOTIONS
from emotune.core.history import MoodHistory, MoodSummary
from emotune.core.mood import MoodSnapshot

GOAL_E2E_S = 3.0
N_HISTORIES = int(os.environ.get("EMOTUNE_BENCH_LLM_N", "50"))
SIDE_BY_SIDE_CAP_S = 240.0
GENRES = ("acoustic", "ambient", "blues", "classical", "country", "dance", "electronic", "folk", "funk",
          "hip-hop", "indie", "jazz", "k-pop", "latin", "metal", "piano", "pop", "punk", "r-n-b", "reggae",
          "rock", "soul", "techno")


def varied_summaries(n: int, seed: int = 0) -> list[MoodSummary]:
    """`n` mood summaries of histories that differ in dominant emotion, mix, length, trend and faces."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        top = i % len(EMOTIONS)
        alpha = np.full(len(EMOTIONS), 0.6)
        alpha[top] = rng.uniform(2.0, 8.0)
        steps = int(rng.integers(8, 120))
        step_s = float(rng.choice([0.5, 1.0, 2.5]))
        faces = int(rng.choice([1, 1, 1, 2, 3]))
        trend = str(rng.choice(["rising", "steady", "falling"]))
        base = rng.dirichlet(alpha)
        snaps = []
        for k in range(steps):
            dist = 0.8 * base + 0.2 * rng.dirichlet(alpha)
            snaps.append(MoodSnapshot.from_distribution(dist, timestamp=k * step_s, held_s=k * step_s * 0.7,
                                                        trend=trend, face_count=faces, window_s=5.0))
        out.append(MoodHistory(snaps, max_age_s=600).summary())
    return out


def varied_requests(n: int, seed: int = 0):
    """Requests for `varied_summaries`, with hours, goals and preferences varied too."""
    from emotune.llm.values import AnalysisRequest

    rng = np.random.default_rng(seed + 1)
    requests = []
    for i, summary in enumerate(varied_summaries(n, seed)):
        prefs = tuple(rng.choice(GENRES, size=int(rng.integers(0, 3)), replace=False))
        langs = ("es",) if i % 5 == 0 else ()
        requests.append(AnalysisRequest(summary, hour=int(rng.integers(0, 24)), preferred_genres=prefs,
                                        preferred_languages=langs, goal=("match", "lift")[i % 2],
                                        catalog_genres=GENRES))
    return requests


def _row(name: str, value: float, unit: str, goal: float | None, higher_is_better: bool = False) -> str:
    if goal is None:
        return f"{name:38} {value:9.3f} {unit:5} {'':>9} {'':>7}"
    ratio = value / goal
    ok = ratio >= 1.0 if higher_is_better else ratio <= 1.0
    return f"{name:38} {value:9.3f} {unit:5} {goal:9.3f} {ratio:6.2f}x {'ok' if ok else 'MISSED'}"


def side_by_side(path, requests) -> list[str]:
    """Interleaved on the same requests, so machine load hits every variant alike: llama.cpp threads
    (generation/prompt), llama-cpp-python's stock grammar-first sampler against our grammar-last one, and
    the schema grammar's cost against free text of the same length."""
    from emotune.llm.analyst import context_size
    from emotune.llm.prompt import build_messages, offered_genres
    from emotune.llm.runtime.engine import LlamaEngine
    from emotune.llm.schema import MAX_TOKENS, build_schema

    variants = {"1 thread (default here)": (1, 1, True), "1 thread, stock grammar-first sampler": (1, 1, False),
                "1 thread, 2 for the prompt": (1, 2, True), "2 threads": (2, 2, True)}
    engines = {}
    for name, (gen, batch, grammar_last) in variants.items():
        engines[name] = LlamaEngine(path, n_ctx=context_size(), n_threads=gen,
                                    llama_kwargs={"n_threads_batch": batch, "grammar_last": grammar_last})
        engines[name].load()
    for engine in engines.values():     # evaluate the fixed prompt prefix once, untimed, as the app does
        engine.generate(build_messages(requests[0]), schema=build_schema(GENRES), max_tokens=1,
                        sink=lambda piece: True, seed=0)
    times: dict[str, list[float]] = {name: [] for name in variants}
    grammar_rate, free_rate = [], []
    started = time.perf_counter()
    for i, request in enumerate(requests[1:], start=1):
        if i > 2 and time.perf_counter() - started > SIDE_BY_SIDE_CAP_S:
            break                        # a very busy machine: keep the run short, report what was measured
        messages = build_messages(request)
        schema = build_schema(offered_genres(request))
        for name, engine in engines.items():
            gen = engine.generate(messages, schema=schema, max_tokens=MAX_TOKENS, sink=lambda piece: True, seed=i)
            times[name].append(gen.elapsed_s)
            if name.startswith("1 thread ("):
                grammar_rate.append(gen.tokens_per_s)
                free_rate.append(_free_rate(engine, messages, gen.chunks, seed=i))
    base = statistics.median(times["1 thread (default here)"])
    title = f"side by side, {len(times['2 threads'])} replies each"
    rows = [f"{title:38} {'median s':>9} {'':5} {'':>9} {'vs default':>11}"]
    for name, values in times.items():
        median = statistics.median(values)
        rows.append(f"{name:38} {median:9.3f} {'s':5} {'':>9} {median / base:10.2f}x")
    ratio = statistics.median(grammar_rate) / statistics.median(free_rate)
    rows.append(f"{'tokens/s with schema grammar / free':38} {ratio:9.2f} {'':5} {'':>9} "
                f"({statistics.median(grammar_rate):.1f} vs {statistics.median(free_rate):.1f} tok/s)")
    for engine in engines.values():
        engine.close()
    return rows


def _free_rate(engine, messages, tokens: int, seed: int) -> float:
    """Tokens per second of an unconstrained reply of the same length (same model, prompt and threads)."""
    stream = engine._llama.create_chat_completion(messages=messages, max_tokens=max(2, tokens), seed=seed,
                                                  temperature=0.3, stream=True)
    started, first, count = time.perf_counter(), 0.0, 0
    for chunk in stream:
        if chunk["choices"][0].get("delta", {}).get("content"):
            count += 1
            first = first or time.perf_counter() - started
    elapsed = time.perf_counter() - started
    return (count - 1) / (elapsed - first) if count > 1 and elapsed > first else 0.0


def _warmed(analyst_class, path, cache_dir: Path):
    """A loaded Analyst after its prompt warm-up, as the app makes one, and the warm-up's seconds."""
    analyst = analyst_class.for_model(path, seed=1234, prompt_cache_dir=cache_dir)
    assert analyst.load(), analyst.error
    started = time.perf_counter()
    assert analyst.warm_up(GENRES)
    return analyst, time.perf_counter() - started


def main() -> None:
    from emotune.llm.analyst import Analyst
    from emotune.llm.model_files.model_locator import DEFAULT_MODEL_NAME
    from emotune.llm.runtime.engine import default_threads
    from emotune.resources import models_dir

    path = models_dir() / DEFAULT_MODEL_NAME
    if not path.exists():
        print(f"skipped: {path} is missing (run `make install`)")
        return
    loads = []
    for _ in range(3):
        analyst = Analyst.for_model(path, seed=1234)
        started = time.perf_counter()
        assert analyst.load(), analyst.error
        loads.append(time.perf_counter() - started)
        analyst.engine.close()
    requests = varied_requests(N_HISTORIES, seed=7)
    cold = Analyst.for_model(path, seed=1234)
    cold.load()
    uncached_s = cold.analyze(requests[0]).elapsed_s      # what every first analysis paid before warm_up
    cold.engine.close()
    with tempfile.TemporaryDirectory() as cache:
        first_run, evaluated_s = _warmed(Analyst, path, Path(cache))    # evaluates the prompt and saves it
        first_run.engine.close()
        analyst, restored_s = _warmed(Analyst, path, Path(cache))       # the next run restores it
    e2e, first_tokens, rates, sources, resampled = [], [], [], [], []
    for request in requests:
        result = analyst.analyze(request)
        e2e.append(result.elapsed_s)
        sources.append(result.source)
        gen = analyst.last_generation
        if gen is not None and gen.chunks:
            first_tokens.append(gen.first_chunk_s)
            rates.append(gen.tokens_per_s)
            resampled.append(gen.resampled / gen.chunks)
    fallback_s = [Analyst(None, seed=1).analyze(r).elapsed_s for r in requests[:10]]
    valid_first = sources.count("llm") / len(sources)
    e2e_sorted = sorted(e2e)
    p90 = e2e_sorted[min(len(e2e) - 1, int(0.9 * len(e2e)))]
    print(f"model {path.name}, n_ctx {analyst.engine.n_ctx}, {analyst.engine.n_threads} threads "
          f"(default_threads() on {os.cpu_count()} cores = {default_threads()}); {len(requests)} histories")
    print(f"{'figure':38} {'value':>9} {'unit':5} {'goal':>9} {'ratio':>7}")
    print(_row("model load (median of 3, cold)", statistics.median(loads), "s", None))
    print(_row("time to first token (median)", statistics.median(first_tokens), "s", None))
    print(_row("prompt warm-up, evaluated and saved", evaluated_s, "s", None))
    print(_row(f"prompt warm-up, {analyst.prompt_restored} tokens restored", restored_s, "s", None))
    print(_row(f"first analysis after the warm-up ({sources[0]})", e2e[0], "s", GOAL_E2E_S))
    print(_row("first analysis, no warm-up or cache", uncached_s, "s", None))
    print(_row("tokens per second (median)", statistics.median(rates), "tok/s", None))
    print(_row("analysis end to end (median)", statistics.median(e2e), "s", GOAL_E2E_S))
    print(_row("analysis end to end (p90)", p90, "s", GOAL_E2E_S))
    print(_row("analysis end to end (max)", e2e_sorted[-1], "s", GOAL_E2E_S))
    print(_row("valid first attempts (share)", valid_first, "", None))
    print(_row("tokens the grammar sent back (mean share)", statistics.mean(resampled), "", None))
    print(_row("deterministic fallback (median)", statistics.median(fallback_s) * 1000, "ms", None))
    print(f"sources: llm {sources.count('llm')}, llm-retry {sources.count('llm-retry')}, "
          f"fallback {sources.count('fallback')}; median LLM analysis / fallback = "
          f"{statistics.median(e2e) / max(1e-9, statistics.median(fallback_s)):.0f}x")
    analyst.engine.close()
    print()
    print("\n".join(side_by_side(path, requests[:7])))
    print(f"load average during the run: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
