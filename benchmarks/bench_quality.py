"""Quality of the analysis' words (issue 15), per model and beside the deterministic summary, over generated
mood histories that span every emotion, pure and mixed moods, rising/falling/steady trends, 1-4 faces, the
four times of day, both goals, with and without stated genres (and a few with journal days).

Automatic metrics, each next to its goal:
- grounded: the summary claims nothing that was not measured (grounding.py's checks: emotions, shares,
  trend, time of day, spans, earlier days, stated tastes);
- coverage: it names the main emotion, the trend and the second emotion when that held >= 15 %;
- copied: sentences taken whole from the prompt's worked examples (share of all sentences);
- example endings: sentences after the first whose last five words are a worked example's (no goal: a small
  model fills the example's frame with the request's facts, "This evening, mellow and moderate rock can let
  the tension out and cool it down.", which the whole-sentence check does not count);
- distinct: different summaries once emotion words and numbers are masked (a template differs only there);
- phrases on the right side: search phrases with >= 1 catalog track on the target's side of valence;
- restating: summaries that only restate the deterministic one;
- music target off: mean |target valence - the measured one| (the old prompt's model wrote 0.45 for all);
- latency: median and p90 of the analysis end to end.

The old prompt (commit OLD_COMMIT, before issue 15) runs from `git archive` of that commit in a child
process on the same requests and the same model, interleaved in time with nothing else; both are scored by
this file's (the new) checks. `EMOTUNE_BENCH_QUALITY_N` sets the number of histories (default 63),
`EMOTUNE_BENCH_QUALITY_MODELS` extra GGUF paths (comma-separated) to score beside the default model,
`EMOTUNE_BENCH_QUALITY_OLD=0` skips the old prompt.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


N_HISTORIES = int(os.environ.get("EMOTUNE_BENCH_QUALITY_N", "106"))
OLD_COMMIT = "482ca84"
ROOT = Path(__file__).resolve().parent.parent
GOALS = {"grounded": (1.0, True), "coverage": (0.9, True), "copied sentences": (0.05, False),
         "distinct summaries": (0.9, True), "phrases on the right side": (0.8, True),
         "fallbacks": (0.01, False), "prompt echoes": (0.0, False), "phase told right": (0.95, True),
         "music words the list supports": (0.95, True), "median latency s": (2.0, False),
         "p90 latency s": (3.5, False)}
PREFERENCES = (("jazz",), ("rock", "metal"), ("pop",), ("classical", "ambient"), ("hip-hop",), ("folk", "indie"))
HOURS = (8, 14, 19, 23)
ENDING_WORDS = 5


def quality_histories(n: int = N_HISTORIES, seed: int = 15) -> list[dict]:
    """`n` requests as plain JSON (readable by this and older EmoTune code) over benchmarks.mood_histories'
    histories (steady, rising, falling, swapping, mixed, calm neutral, several faces, set by hand: 106), in
    turn from morning to night, both goals, genres or none, every ninth with two journal days; each with the
    shape it was made with ("expect") and its window shape for this code ("shape")."""
    from emotune.core.emotions import EMOTIONS

    from benchmarks.mood_histories import varied_histories

    made = varied_histories(seed)
    out = []
    for i in range(n):
        h = made[i % len(made)]
        s = h.history.summary()
        top = max(s.shares, key=s.shares.get)
        journal = []
        if i % 9 == 8 and not s.manual:
            journal = [{"days_ago": 1, "dominant": EMOTIONS[(EMOTIONS.index(top) + 3) % 7], "share": 0.55,
                        "valence": -0.2}, {"days_ago": 2, "dominant": "neutral", "share": 0.6, "valence": 0.05}]
        out.append({
            "name": h.name, "kind": h.kind,
            "summary": {k: getattr(s, k) for k in ("shares", "dominant", "dominant_held_s", "trend", "valence",
                                                     "arousal", "face_count", "duration_s", "samples", "manual")},
            "shape": s.shape.to_json(), "expect": {"phases": list(h.phases), "hand_set": h.hand_set},
            "hour": HOURS[(i // 2) % 4], "goal": ("match", "lift")[(i // 5) % 2],
            "preferred_genres": list(PREFERENCES[i % len(PREFERENCES)]) if i % 3 else [],
            "journal": journal,
        })
    return out


def to_request(d: dict, catalog_genres):
    from dataclasses import fields

    from emotune.core.history import MoodSummary
    from emotune.llm.values import AnalysisRequest, JournalDay

    summary = dict(d["summary"])
    if "shape" in {f.name for f in fields(MoodSummary)} and d.get("shape"):   # older code knows no shape
        from emotune.core.window_shape import WindowShape

        summary["shape"] = WindowShape.from_json(d["shape"])
    return AnalysisRequest(MoodSummary(**summary), hour=d["hour"], preferred_genres=tuple(d["preferred_genres"]),
                           goal=d["goal"], catalog_genres=tuple(catalog_genres),
                           journal=tuple(JournalDay(**j) for j in d["journal"]))


def phase_told_right(d: dict, summary: str) -> bool:
    """The summary's first sentence tells the shape the history was made with (mood_histories.MadeHistory)."""
    from benchmarks.mood_histories import MadeHistory

    expect = d["expect"]
    return MadeHistory(d["name"], d["kind"], None, tuple(expect["phases"]), expect["hand_set"]).phase_told_right(
        summary)


def example_sentences() -> list[str]:
    """The summary sentences of the loaded code's worked examples, in every variant it shows them."""
    from emotune.llm import prompt

    if hasattr(prompt, "EXAMPLE_SENTENCES"):
        return sorted(prompt.EXAMPLE_SENTENCES)
    return [s for _, reply in prompt.EXAMPLES for s in _sentences(reply["summary"])]   # before issue 15


def run_variant(model: str | None, histories: list[dict], genres, seed: int = 1234) -> dict:
    """Analyses of every history with the loaded EmoTune code (None: the deterministic one), with the
    catalog's phrase check plugged in as the app does, where the code has one."""
    from emotune.llm.analyst import Analyst

    if model is None:
        analyst = Analyst(None, seed=seed)
    else:
        with tempfile.TemporaryDirectory() as cache:
            analyst = Analyst.for_model(model, seed=seed, prompt_cache_dir=Path(cache))
            assert analyst.load(), analyst.error
            analyst.warm_up(genres)
    if hasattr(analyst, "phrase_check"):
        from emotune.music.library import load_catalog
        from emotune.music.lists.phrase_search import PhraseSearch

        analyst.phrase_check = PhraseSearch(load_catalog(None)).suits
    rows = []
    for d in histories:
        r = analyst.analyze(to_request(d, genres))
        rows.append({"summary": r.summary, "source": r.source, "phrases": list(r.search_phrases),
                     "genres": list(r.genres), "target_valence": r.target_valence, "elapsed_s": r.elapsed_s,
                     "reason": r.reason})
    if analyst.engine is not None:
        analyst.engine.close()
    return {"rows": rows, "examples": example_sentences() if model else []}


def _sentences(text: str) -> list[str]:
    return [s.strip().lower().rstrip(".!?") for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _masked(text: str) -> str:
    from emotune.llm.grounding import EMOTION_WORDS

    words = sorted({w for ws in EMOTION_WORDS.values() for w in ws} | {"afraid", "disgusted", "surprised"},
                   key=len, reverse=True)
    text = re.sub(r"\d+", "#", text.lower())
    return re.sub(r"\b(" + "|".join(map(re.escape, words)) + r")\b", "E", text)


def score(result: dict, histories: list[dict], genres, search) -> dict[str, float]:
    """The metrics above for one variant's rows (scored with this tree's checks)."""
    from emotune.llm.fallback import fallback_analysis
    from emotune.llm.grounding import (coverage_problems, echo_problems, grounding_problems, liked_problems,
                                       measured_opening, music_word_problems, restates, without_time)
    from emotune.llm.targets import music_targets

    rows = result["rows"]
    examples = {without_time(x) for x in result["examples"]}   # the time of day a sentence starts with aside
    endings = {tuple(x.split()[-ENDING_WORDS:]) for x in examples}
    grounded = covered = copied = ended = later = sentences = restated = echoes = phased = supported = 0
    phrase_ok = phrase_n = 0
    target_off = []
    for d, row in zip(histories, rows):
        request = to_request(d, genres)
        s, text = request.summary, row["summary"]
        problems = grounding_problems(text, s, request.time_of_day, request.journal)
        problems += liked_problems(text, request.preferred_genres)
        grounded += not problems
        main_missing = [p for p in problems if "main emotion" in p]
        covered += not (coverage_problems(text, s) or main_missing)
        ss = _sentences(text)
        sentences += len(ss)
        copied += sum(without_time(x) in examples for x in ss)
        ended += sum(tuple(x.split()[-ENDING_WORDS:]) in endings for x in ss[1:])
        later += len(ss[1:])
        echoes += row["source"] != "fallback" and bool(echo_problems(text, measured_opening(s)))
        phased += phase_told_right(d, text)
        supported += not music_word_problems(text, row["genres"], request.preferred_genres, genres)
        deterministic = fallback_analysis(request, "").summary
        restated += row["source"] != "fallback" and restates(text, deterministic)
        target = music_targets(s, request.goal).valence
        target_off.append(abs(row["target_valence"] - target))
        for phrase in row["phrases"]:
            hits = search.hits(phrase)
            phrase_n += 1
            phrase_ok += bool(len(hits)) and bool(search.right_side(hits, target).any())
    n = len(rows)
    e2e = sorted(r["elapsed_s"] for r in rows)
    sources = [r["source"] for r in rows]
    return {
        "grounded": grounded / n, "coverage": covered / n, "copied sentences": copied / max(1, sentences),
        "example endings (last 5 words)": ended / max(1, later),
        "distinct summaries": len({_masked(r["summary"]) for r in rows}) / n,
        "phrases on the right side": phrase_ok / max(1, phrase_n),
        "restating the deterministic summary": restated / n,
        "music target off (mean |dv|)": statistics.mean(target_off),
        "median latency s": statistics.median(e2e), "p90 latency s": e2e[min(n - 1, int(0.9 * n))],
        "valid first replies": sources.count("llm") / n, "fallbacks": sources.count("fallback") / n,
        "prompt echoes": echoes / n, "phase told right": phased / n,
        "music words the list supports": supported / n,
    }


def _old_variant(model: str, histories: list[dict], genres) -> dict | None:
    """The old prompt's results: its code from `git archive OLD_COMMIT`, run in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", OLD_COMMIT, "emotune"], capture_output=True)
        if archive.returncode != 0:
            print(f"old prompt skipped: no commit {OLD_COMMIT} here ({archive.stderr.decode().strip()})")
            return None
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        (Path(tmp) / "benchmarks").mkdir()
        shutil.copy(ROOT / "benchmarks" / "__init__.py", Path(tmp) / "benchmarks")
        shutil.copy(Path(__file__), Path(tmp) / "benchmarks" / "bench_quality.py")
        job = Path(tmp) / "job.json"
        job.write_text(json.dumps({"model": model, "histories": histories, "genres": list(genres)}))
        child = subprocess.run([sys.executable, "-m", "benchmarks.bench_quality", "--child", str(job)], cwd=tmp,
                               capture_output=True, text=True, env=os.environ | {"PYTHONPATH": tmp})
        if child.returncode != 0:
            print(f"old prompt failed: {child.stderr[-2000:]}")
            return None
        return json.loads((Path(tmp) / "job.out.json").read_text())


def _child(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text())
    result = run_variant(job["model"], job["histories"], job["genres"])
    Path(job_path).with_suffix(".out.json").write_text(json.dumps(result))


def _keep(name: str, result: dict) -> None:
    """With EMOTUNE_BENCH_QUALITY_SAVE=folder, every variant's replies go there as JSON (to read them)."""
    folder = os.environ.get("EMOTUNE_BENCH_QUALITY_SAVE")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.json").write_text(json.dumps(result, indent=1))


def _print_reasons(name: str, rows: list[dict]) -> None:
    """Why first replies were rejected (the analysis' reason), most frequent first: what to fix next."""
    counts: dict[str, int] = {}
    for row in rows:
        for part in re.split(r" / |; ", row.get("reason") or ""):
            part = re.sub(r"^(first reply invalid|the model's replies were invalid twice): ", "", part)
            key = re.sub(r"\(.*", "", re.sub(r"\d+", "#", part)).strip()
            if key:
                counts[key] = counts.get(key, 0) + 1
    for key, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {name} rejected: {count} x {key}")


def _goal_text(name: str, value: float) -> str:
    if name not in GOALS:
        return ""
    goal, higher = GOALS[name]
    ok = value >= goal if higher else value <= goal
    return f"{'>=' if higher else '<='} {goal:g} {'ok' if ok else 'MISSED'}"


def main() -> None:
    from emotune.llm.model_files.model_locator import DEFAULT_MODEL_NAME
    from emotune.music.library import load_catalog
    from emotune.music.lists.phrase_search import PhraseSearch
    from emotune.resources import models_dir

    catalog = load_catalog(None)
    genres = tuple(catalog.genres())
    search = PhraseSearch(catalog)
    histories = quality_histories()
    print(f"load average at the start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    default = models_dir() / DEFAULT_MODEL_NAME
    models = [str(default)] if default.exists() else []
    models += [m for m in os.environ.get("EMOTUNE_BENCH_QUALITY_MODELS", "").split(",") if m]
    columns: dict[str, dict] = {"deterministic": score(run_variant(None, histories, genres), histories, genres,
                                                       search)}
    for model in models:
        name = Path(model).name.split(".")[0]
        started = time.perf_counter()
        if os.environ.get("EMOTUNE_BENCH_QUALITY_OLD", "1") != "0" and model == str(default):
            old = _old_variant(model, histories, genres)
            if old is not None:
                columns[f"{name} old prompt"] = score(old, histories, genres, search)
                _keep(f"{name}-old", old)
        new = run_variant(model, histories, genres)
        _keep(f"{name}-new", new)
        _print_reasons(name, new["rows"])
        columns[f"{name} new"] = score(new, histories, genres, search)
        print(f"({name}: {time.perf_counter() - started:.0f} s)")
    if not models:
        print(f"no model: {default} is missing (run `make install`); deterministic only")
    names = list(next(iter(columns.values())))
    print(f"{len(histories)} histories; catalog {len(catalog)} tracks, {len(genres)} genres")
    head = f"{'metric':38}" + "".join(f"{c[:24]:>26}" for c in columns) + "   goal (last column)"
    print(head)
    for name in names:
        cells = "".join(f"{columns[c][name]:26.3f}" for c in columns)
        print(f"{name:38}{cells}   {_goal_text(name, columns[list(columns)[-1]][name])}")
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
    else:
        main()
