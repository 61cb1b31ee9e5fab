"""The bundle against the virtualenv: size on disk and cold start, side by side in the same run.

For each of `dist/EmoTune/EmoTune` and `.venv/bin/emotune-gui` (the same function), from a fresh process:
- start: process start to the argument parser answering `--help` (bootloader + Python + emotune imports);
- window: process start to the EmoTune window mapped on an X server (Xvfb), opened on the bundled sample;
- model ready: process start to the "emotion model ... loaded" log line of that same run; the inference
  worker classifies its first frame right after it (the next ~20 ms);
- self-test: process start to exit of `--self-test` (every model, the sample through the whole pipeline),
  with the first-classified-frame figure the self-test reports (`timings_ms.models_loaded` from its start).
"Cold" means a new process each time with the OS file cache warm (we cannot drop caches on a shared machine);
the first run after a build, reading from disk, is slower. Run: `python -m benchmarks.bench_bundle`.
Environment: BENCH_BUNDLE_RUNS (default 2), BENCH_BUNDLE_DIR (default dist/EmoTune).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = Path(os.environ.get("BENCH_BUNDLE_DIR", ROOT / "dist" / "EmoTune"))
VENV = ROOT / ".venv"
SAMPLE = ROOT / "assets" / "sample_faces.jpg"
RUNS = int(os.environ.get("BENCH_BUNDLE_RUNS", "2"))
WINDOW_TIMEOUT_S = 120.0
MODEL_LINE = "emotion model"


@dataclass(frozen=True)
class Target:
    name: str
    command: list[str]
    sample: Path  # the sample image as this target would find it


def disk_size(path: Path) -> int:
    """Bytes used by the files under `path` (symlinks counted once, as links)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _env(home: Path, display: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EMOTUNE_RESOURCES")}
    env.update(EMOTUNE_HOME=str(home), EMOTUNE_NO_CRASH_DIALOG="1")
    if display:
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def time_help(target: Target) -> float:
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        subprocess.run([*target.command, "--help"], env=_env(Path(home), None), capture_output=True, check=True,
                       timeout=120)
        return time.perf_counter() - t0


def _window_mapped(display: str) -> bool:
    out = subprocess.run(["xwininfo", "-display", display, "-name", "EmoTune"], capture_output=True, text=True)
    return "IsViewable" in out.stdout


def _model_line_time(log_dir: Path) -> float | None:
    """Wall-clock time of the first 'emotion model ... loaded' line in emotune.log (None until it appears)."""
    log = log_dir / "emotune.log"
    if not log.is_file():
        return None
    for line in log.read_text(errors="replace").splitlines():
        if MODEL_LINE in line and "loaded" in line:
            stamp = line[:23]  # "2026-11-25 12:30:01,123"
            return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return None


def time_window(target: Target, display: str | None) -> tuple[float | None, float | None]:
    """Seconds from spawn to the window being viewable (None without an X display: the window then runs
    offscreen), and to the emotion model being ready."""
    with tempfile.TemporaryDirectory() as home:
        env = _env(Path(home), display)
        wall0, t0 = time.time(), time.perf_counter()
        proc = subprocess.Popen([*target.command, "--source", str(target.sample)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        window = model = None
        try:
            while time.perf_counter() - t0 < WINDOW_TIMEOUT_S and proc.poll() is None:
                if window is None and display and _window_mapped(display):
                    window = time.perf_counter() - t0
                if model is None:
                    stamp = _model_line_time(Path(home) / "log")
                    model = None if stamp is None else stamp - wall0
                if (window is not None or not display) and model is not None:
                    break
                time.sleep(0.02)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return window, model


def time_self_test(target: Target) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        out = subprocess.run([*target.command, "--self-test"], env=_env(Path(home), None), capture_output=True,
                             text=True, timeout=600)
        wall = time.perf_counter() - t0
        lines = out.stdout.strip().splitlines()
        summary = json.loads(lines[-1]) if lines else {}
        if out.returncode != 0:
            raise RuntimeError(f"{target.name} self-test failed: {summary.get('error') or out.stderr[-500:]}")
        return wall, summary


class Xvfb:
    """A private X server for the window timings (None display when Xvfb or xwininfo is missing)."""

    def __enter__(self) -> str | None:
        self.proc = None
        if not (shutil.which("Xvfb") and shutil.which("xwininfo")):
            return None
        for number in range(91, 120):
            if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
                break
        display = f":{number}"
        self.proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return display
            time.sleep(0.05)
        return None

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _fmt(value: float | None, unit: str = "s") -> str:
    return "n/a" if value is None else f"{value:.2f} {unit}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def measure(target: Target, display: str | None) -> dict[str, float | None]:
    helps = [time_help(target) for _ in range(RUNS)]
    windows, models = [], []
    for _ in range(RUNS):
        window, model = time_window(target, display)
        windows.append(window)
        models.append(model)
    walls, classified = [], []
    for _ in range(RUNS):
        wall, summary = time_self_test(target)
        walls.append(wall)
        classified.append(summary.get("timings_ms", {}).get("models_loaded"))
    return {"start": _median(helps), "window": _median(windows), "model": _median(models),
            "self_test": _median(walls), "self_test_models_ms": _median(classified)}


def main() -> None:
    exe = BUNDLE / ("EmoTune.exe" if sys.platform == "win32" else "EmoTune")
    venv_gui = VENV / ("Scripts/emotune-gui.exe" if sys.platform == "win32" else "bin/emotune-gui")
    if not exe.is_file():
        print(f"bench_bundle: no bundle at {BUNDLE}; build it with `make bundle` first (skipped)")
        return
    targets = [Target("bundle", [str(exe)], BUNDLE / "_internal" / "assets" / SAMPLE.name),
               Target("virtualenv", [str(venv_gui)], SAMPLE)]
    bundle_size = disk_size(BUNDLE)
    venv_size = disk_size(VENV) + disk_size(ROOT / "models") + disk_size(ROOT / "assets")
    with Xvfb() as display:
        if display is None:
            print("(Xvfb/xwininfo not found: window timings skipped, the window runs offscreen for the model "
                  "timing; apt-get install xvfb x11-utils)")
        results = {t.name: measure(t, display) for t in targets}
    b, v = results["bundle"], results["virtualenv"]
    print(f"runs per figure: {RUNS} (median), fresh process each, warm file cache")
    print(f"{'':34} {'bundle':>12} {'virtualenv':>12} {'bundle/venv':>12}")
    rows = [
        ("size on disk (venv: +models,assets)", bundle_size / 1e6, venv_size / 1e6, "MB"),
        ("start to --help", b["start"], v["start"], "s"),
        ("start to visible window (Xvfb)", b["window"], v["window"], "s"),
        ("start to emotion model ready", b["model"], v["model"], "s"),
        ("self-test, start to exit", b["self_test"], v["self_test"], "s"),
        ("self-test: models ready", _ms(b["self_test_models_ms"]), _ms(v["self_test_models_ms"]), "s"),
    ]
    for label, bv, vv, unit in rows:
        print(f"{label:34} {_fmt(bv, unit):>12} {_fmt(vv, unit):>12} {_ratio(bv, vv):>12}")
    print("('self-test: models ready' counts from the self-test's own start, after the imports; the first frame is\n"
          " classified right after the emotion model is ready, so 'emotion model ready' is the first-classified-frame"
          " time)")


def _ms(value: float | None) -> float | None:
    return None if value is None else value / 1000


if __name__ == "__main__":
    main()
