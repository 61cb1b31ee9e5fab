"""A newcomer's first `make test`, on a busy machine: clones the repository fresh, starts a CPU hog (busy
processes, 2 by default) and runs `make test` in the clone twice (the first run also installs: venv, pip,
GGUF), then reports each run's time, pass/fail, pytest's summary line, its ten slowest tests and the load
average. The goal (issue 16): green both times; the tests alone under 12 minutes on an idle machine.

Not a `bench_` module (`make bench` would take half an hour): run it by hand, from a checkout,

    python benchmarks/fresh_clone_under_load.py                      # HEAD of this checkout, 2 runs, 2 hogs
    python benchmarks/fresh_clone_under_load.py --ref dev/i16 --out results.json
    python benchmarks/fresh_clone_under_load.py --runs 1 --hogs 0 --command "python3 -m pytest tests/test_mood.py"

The clone gets the datasets through EMOTUNE_SHARED (this checkout's ../shared unless set), as the tests'
conftest reads it. pip's cache is shared with the user's, so llama-cpp-python compiles only once per machine.
The hogs are started and stopped here, by their process ids, whatever happens.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOG = "while True: pass"
# pytest's last line, with or without -q: "= 3 failed, 120 passed, 2 skipped in 700.1s (0:11:40) =", "8 passed in 3.0s"
SUMMARY = re.compile(r"^(?:=+ )?((?:\d+ \w+|no tests ran)(?:, \d+ \w+)*) in ([\d.]+)s\b", re.MULTILINE)
DURATION = re.compile(r"^\s*([\d.]+)s (call|setup|teardown)\s+(\S+)", re.MULTILINE)


@dataclass
class Run:
    number: int
    command: str
    seconds: float
    returncode: int
    green: bool
    pytest_summary: str
    pytest_seconds: float | None
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    slowest: list[tuple[float, str, str]] = field(default_factory=list)
    log: str = ""


def start_hogs(n: int) -> list[subprocess.Popen]:
    """`n` busy processes at normal priority, like the other programs on a user's laptop or a CI box."""
    return [subprocess.Popen([sys.executable, "-c", HOG], stdin=subprocess.DEVNULL) for _ in range(n)]


def stop_hogs(hogs: list[subprocess.Popen]) -> None:
    for hog in hogs:
        if hog.poll() is None:
            hog.terminate()
    for hog in hogs:
        try:
            hog.wait(timeout=10)
        except subprocess.TimeoutExpired:
            hog.kill()
            hog.wait()


def clone(ref: str, dest: Path) -> str:
    """A fresh clone of `ref` of this checkout (what `git clone` of the published repository gives)."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "--quiet", ref], check=True)
    return subprocess.run(["git", "-C", str(dest), "rev-parse", "--short", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()


def run_once(number: int, command: str, cwd: Path, env: dict[str, str], log_dir: Path) -> Run:
    log_path = log_dir / f"run{number}.log"
    load_before = os.getloadavg()
    t0 = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.run(command, shell=True, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, check=False)
    seconds = time.monotonic() - t0
    text = log_path.read_text(encoding="utf-8", errors="replace")
    summaries = SUMMARY.findall(text)
    summary, pytest_s = (summaries[-1][0], float(summaries[-1][1])) if summaries else ("(no pytest summary)", None)
    slowest = [(float(s), phase, test) for s, phase, test in DURATION.findall(text.split("slowest", 1)[-1])][:10] \
        if "slowest" in text else []
    green = proc.returncode == 0 and bool(summaries) and not re.search(r"\b(failed|error|errors)\b", summary)
    return Run(number, command, round(seconds, 1), proc.returncode, green, summary, pytest_s, load_before,
               os.getloadavg(), slowest, str(log_path))


def report(runs: list[Run], commit: str, hogs: int) -> str:
    lines = [f"fresh clone of {commit}, {hogs} busy processes beside it, {os.cpu_count()} CPUs", "",
             "| run | result | wall time | pytest time | pytest summary | load before → after (1 min) |",
             "|---|---|---|---|---|---|"]
    for r in runs:
        pytest_t = f"{r.pytest_seconds / 60:.1f} min" if r.pytest_seconds is not None else "–"
        lines.append(f"| {r.number} | {'green' if r.green else f'RED (rc {r.returncode})'} | {r.seconds / 60:.1f} min "
                     f"| {pytest_t} | {r.pytest_summary} | {r.load_before[0]:.1f} → {r.load_after[0]:.1f} |")
    for r in runs:
        if r.slowest:
            lines += ["", f"ten slowest (run {r.number}):"]
            lines += [f"  {s:7.1f} s {phase:<8} {test}" for s, phase, test in r.slowest]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ref", default="HEAD", help="what to clone and check out (default: this checkout's HEAD)")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--hogs", type=int, default=2, help="busy processes beside the runs (default 2)")
    p.add_argument("--command", default="make test PYTEST_ARGS=--durations=10",
                   help="what to run in the clone each time")
    p.add_argument("--workdir", type=Path, help="where to clone (default: a new temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the clone and the logs")
    p.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = p.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="emotune-fresh-"))
    work.mkdir(parents=True, exist_ok=True)
    dest = work / "EmoTune"
    ref = subprocess.run(["git", "-C", str(REPO), "rev-parse", args.ref], check=True, capture_output=True,
                         text=True).stdout.strip()
    commit = clone(ref, dest)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.setdefault("EMOTUNE_SHARED", str(REPO.parent / "shared"))
    print(f"cloned {commit} into {dest}; running {shlex.quote(args.command)} {args.runs}× with {args.hogs} hogs",
          flush=True)
    hogs = start_hogs(args.hogs)
    runs: list[Run] = []
    try:
        for number in range(1, args.runs + 1):
            run = run_once(number, args.command, dest, env, work)
            runs.append(run)
            print(f"run {number}: {'green' if run.green else 'RED'} in {run.seconds / 60:.1f} min "
                  f"({run.pytest_summary}); log {run.log}", flush=True)
    finally:
        stop_hogs(hogs)
    text = report(runs, commit, args.hogs)
    print("\n" + text)
    if args.out:
        args.out.write_text(json.dumps({"commit": commit, "hogs": args.hogs, "cpus": os.cpu_count(),
                                        "runs": [asdict(r) for r in runs]}, indent=2), encoding="utf-8")
    if not args.keep:
        subprocess.run(["rm", "-rf", str(dest)], check=False)
        print(f"(logs kept in {work})")
    return 0 if runs and all(r.green for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
