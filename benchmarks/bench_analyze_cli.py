"""Issue 25's seven mood histories (steady sad, steady happy, anger rising over two minutes, calm neutral, and
sad, angry and fear set by hand), each through `emotune analyze --json --quiet` with seeds 1 and 2, as a user
runs it: a fresh process each time, the time counted from its start. Each run must come from the model, name
the mood, echo nothing of the request, not speak as "I", tell the window's shape (the rising anger as a
change) and finish within 20 s. `EMOTUNE_BENCH_CLI_SEEDS` sets the seeds (default "1,2")."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 20.0
SEEDS = tuple(int(s) for s in os.environ.get("EMOTUNE_BENCH_CLI_SEEDS", "1,2").split(","))


def run_one(history_file: Path, seed: int, hour: int = 19, timeout_s: float = 120.0) -> tuple[dict, float]:
    """One `emotune analyze` process: its JSON result and its wall time, process start included."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "emotune", "analyze", "--json", "--quiet", "--history",
                           str(history_file), "--seed", str(seed), "--hour", str(hour)],
                          capture_output=True, text=True, timeout=timeout_s, cwd=ROOT,
                          env=os.environ | {"PYTHONPATH": os.pathsep.join(
                              p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)})
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"emotune analyze failed ({done.returncode}): {done.stderr[-800:]}")
    return json.loads(done.stdout), elapsed


def problems(made, result: dict, elapsed: float) -> list[str]:
    """What a run got wrong against the issue's "Done when" (empty: all held)."""
    from emotune.llm.grounding import EMOTION_WORDS, echo_problems
    from emotune.llm.values import LOOKED

    out = []
    text = result["summary"]
    if result["source"] == "fallback":
        out.append(f"fallback: {result['reason']}")
    mood = made.hand_set or made.phases[-1]
    if not any(w in text.lower() for w in EMOTION_WORDS[mood] + (LOOKED[mood],)):
        out.append(f"does not name {mood}")
    out += echo_problems(text)
    if not made.phase_told_right(text):
        out.append("does not tell the window's shape")
    if elapsed > GOAL_S:
        out.append(f"took {elapsed:.1f} s")
    return out


def main() -> None:
    from benchmarks.mood_histories import issue_histories

    print(f"load average at the start: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    failed = 0
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for made in issue_histories():
            path = Path(tmp) / f"{made.name.replace(' ', '-')}.json"
            made.history.save(path)
            for seed in SEEDS:
                result, elapsed = run_one(path, seed)
                times.append(elapsed)
                wrong = problems(made, result, elapsed)
                failed += bool(wrong)
                print(f"{made.name:14} seed {seed}  {result['source']:9} {elapsed:5.1f} s  "
                      f"{'ok' if not wrong else 'MISSED: ' + '; '.join(wrong)}\n    {result['summary']}\n"
                      f"    search: {'; '.join(result['search_phrases'])}  genres: {', '.join(result['genres'])}")
    runs = len(times)
    print(f"{runs - failed} of {runs} runs held every goal; slowest {max(times):.1f} s (goal {GOAL_S:g} s)")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
