"""The fuzz campaign: every reader of tests/fuzz_targets.py with thousands of generated inputs, each target in
its own process (a native crash then shows as that target's failure instead of ending the run). Prints the
table docs/bad-input.md keeps; exits 1 when any input escaped its reader's documented error or crashed.

    PYTHONPATH=. nice python scripts/fuzz_campaign.py                # ~12,000 inputs
    PYTHONPATH=. nice python scripts/fuzz_campaign.py --scale 0.1    # a quick look
"""
from __future__ import annotations

import argparse
import collections
import json
import logging
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

# Examples per target at scale 1: the cheap readers get more, the ones that decode video or open SQLite fewer.
EXAMPLES = {"images": 2000, "images, valid odd modes": 800, "videos": 600, "folders": 400, "mood-history JSON": 1500,
            "catalog CSV (import)": 800, "catalog CSV (build)": 800, ".emocat": 1500, "settings.ini": 1000,
            "GGUF header": 1500, "journal database": 600, "Spotify token cache": 1000,
            "prompt-state file": 1500}


def run_target(name: str, examples: int, seed: int) -> dict:
    """In this process: runs one target, returns its outcome counts and the first finding, if any."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    from fuzz_targets import TARGETS

    target = next(t for t in TARGETS if t.name == name)
    outcomes: collections.Counter[str] = collections.Counter()
    tracebacks = _TracebackCounter()
    logging.getLogger().addHandler(tracebacks)
    finding = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        @hseed(seed)
        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(target.strategy(folder))
        def run(sample) -> None:
            outcomes[target.check(sample, folder)] += 1

        try:
            run()
        except Exception:  # the finding, shrunk by hypothesis
            finding = traceback.format_exc()[-3000:]
    return {"name": name, "outcomes": dict(outcomes), "finding": finding, "tracebacks": tracebacks.count}


class _TracebackCounter(logging.Handler):
    """Counts log records that carry a traceback: expected bad input must be logged as one line, never so."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += record.exc_info is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every target's number of examples")
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--target", help=argparse.SUPPRESS)   # the child: one target, JSON on stdout
    parser.add_argument("--examples", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.target:
        print(json.dumps(run_target(args.target, args.examples, args.seed)))
        return 0

    with tempfile.TemporaryDirectory(prefix="emotune-fuzz-") as home:
        return _campaign(args.scale, args.seed, home)


def _campaign(scale: float, seed: int, home: str) -> int:
    """Every target in a child process of its own, with `home` as EmoTune's data folder; prints the table."""
    import os

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               QT_QPA_PLATFORM="offscreen", EMOTUNE_HOME=home)
    rows, total, failed = [], 0, 0
    for name, examples in EXAMPLES.items():
        n = max(1, round(examples * scale))
        t0 = time.perf_counter()
        child = subprocess.run([sys.executable, __file__, "--target", name, "--examples", str(n),
                                "--seed", str(seed)], capture_output=True, text=True, errors="replace", env=env,
                               cwd=ROOT)
        seconds = time.perf_counter() - t0
        if child.returncode != 0 or not child.stdout.strip():
            result = {"outcomes": {}, "finding": f"the process ended with {child.returncode}: {child.stderr[-2000:]}"}
        else:
            result = json.loads(child.stdout.strip().splitlines()[-1])
        count = sum(result["outcomes"].values())
        total += count
        failed += result["finding"] is not None or result.get("tracebacks", 0) > 0
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result["outcomes"].items(), key=lambda kv: -kv[1]))
        verdict = "FAILED" if result["finding"] else "none"
        rows.append(f"| {name} | {count} | {outcomes} | {verdict} | {result.get('tracebacks', 0)} | {seconds:.0f} s |")
        print(rows[-1], flush=True)
        if result["finding"]:
            print(result["finding"], file=sys.stderr)
    print("\n| reader | inputs | outcomes | escaped errors / crashes | tracebacks logged | time |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{total} inputs, {failed} readers with a finding")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
