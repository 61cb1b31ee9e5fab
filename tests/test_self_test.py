"""`emotune gui --self-test` in a subprocess, as the bundle's check and a user's "does it work here" run it: one
JSON line with the language model's analysis, the plain summary and why when there is no model, a failure when a
model is there but does not load, a clear error for a missing source, and no files left by a killed run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from emotune.llm.model_files.model_locator import DEFAULT_MODEL_NAME
from emotune.resources import models_dir

REPO = Path(__file__).resolve().parent.parent


def _self_test(env_extra: dict[str, str] | None = None) -> dict:
    """Runs `emotune gui --self-test`; asserts one JSON line, exit 0 and the vision and music parts."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **(env_extra or {}))
    proc = subprocess.run([sys.executable, "-m", "emotune", "gui", "--self-test"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=400)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout + proc.stderr
    summary = json.loads(lines[0])
    assert proc.returncode == 0, summary.get("error", "") + proc.stderr[-2000:]
    assert summary["ok"] and summary["faces"] == 3 and len(summary["emotions"]) == 3
    assert summary["models"]["detector"] and summary["models"]["emotion"]
    assert summary["tracks"] > 0
    assert summary["timings_ms"]["ms_per_face"] > 0
    return summary


@pytest.mark.slow
def test_self_test_prints_one_json_line_with_the_language_models_analysis():
    if not (models_dir() / DEFAULT_MODEL_NAME).is_file():
        pytest.skip(f"the default GGUF is not in {models_dir()} (make install fetches it)")
    summary = _self_test()
    assert summary["analysis_source"] == "llm" and summary["analysis_chars"] > 0, summary
    assert summary["models"]["analysis"] == DEFAULT_MODEL_NAME


def _resources_without_gguf(tmp_path: Path) -> Path:
    """A resources folder with the shipped assets and models, but no GGUF."""
    resources = tmp_path / "resources"
    (resources / "models").mkdir(parents=True)
    (resources / "assets").symlink_to(REPO / "assets")
    for f in models_dir().iterdir():
        if f.suffix != ".gguf":
            (resources / "models" / f.name).symlink_to(f)
    return resources


@pytest.mark.slow
def test_self_test_without_a_language_model_shows_the_summary_and_says_so(tmp_path):
    """Resources with everything but the GGUF (as an install whose model download never ran)."""
    resources = _resources_without_gguf(tmp_path)
    summary = _self_test({"EMOTUNE_RESOURCES": str(resources)})
    assert summary["analysis_source"] == "summary", summary
    assert summary["models"]["analysis"] == "no language model"


@pytest.mark.slow
def test_self_test_fails_when_the_gguf_is_there_but_the_language_model_does_not_load(tmp_path):
    """A bundle whose GGUF is damaged must not pass by showing the plain summary instead of the analysis."""
    gguf = models_dir() / DEFAULT_MODEL_NAME
    if not gguf.is_file():
        pytest.skip(f"the default GGUF is not at {gguf} (make install fetches it)")
    resources = _resources_without_gguf(tmp_path)
    with gguf.open("rb") as fh:    # the first 4 MB of the real file: a GGUF cut short, as by a broken download
        (resources / "models" / DEFAULT_MODEL_NAME).write_bytes(fh.read(4_000_000))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", EMOTUNE_RESOURCES=str(resources))
    proc = subprocess.run([sys.executable, "-m", "emotune", "gui", "--self-test"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=400, check=False)
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 1 and not summary["ok"], summary
    assert "the language model did not load although" in summary["error"] and DEFAULT_MODEL_NAME in summary["error"]
    assert "Language model not loaded" in summary["error"]       # with the reason the window gave


def test_self_test_exits_non_zero_and_says_what_is_missing(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "emotune", "gui", "--self-test", "--source",
                           str(tmp_path / "missing.jpg")], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not summary["ok"] and "missing" in summary["error"]
    assert "missing" in proc.stderr


@pytest.mark.slow
def test_a_killed_self_test_leaves_no_files_behind(tmp_path):
    """A self-test killed mid-run (a crash, a timeout) cannot clean up, so it must not have written anything: its
    settings live in memory. The child is killed once its run is done and it saves its screenshot, to a named
    pipe: opening it returns here when the child opens the other end (or when the child ended without)."""
    temp, home = tmp_path / "tmp", tmp_path / "home"
    temp.mkdir()
    pipe = tmp_path / "shot.png"
    os.mkfifo(pipe)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TMPDIR=str(temp), EMOTUNE_HOME=str(home),
               EMOTUNE_RESOURCES=str(_resources_without_gguf(tmp_path)))   # no language model: sooner there
    child = subprocess.Popen([sys.executable, "-m", "emotune", "gui", "--self-test", "--screenshot", str(pipe)],
                             cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ended = []

    def open_the_pipe_if_the_child_ends() -> None:   # a writer that never blocks, so the open below returns
        child.wait()
        ended.append(os.open(pipe, os.O_RDWR))

    watcher = threading.Thread(target=open_the_pipe_if_the_child_ends, daemon=True)
    watcher.start()
    try:
        with open(pipe, "rb"):
            reached = child.poll() is None
            child.kill()
    finally:
        child.kill()
        errors = child.communicate(timeout=60)[1]
        watcher.join(timeout=60)
        for fd in ended:
            os.close(fd)
    assert reached, f"the self-test ended before its screenshot: {errors[-2000:]}"
    assert list(temp.iterdir()) == []
    assert not list(home.rglob("settings.ini"))
