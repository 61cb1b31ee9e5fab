"""The analysis with the real SmolLM2-135M-Instruct GGUF through llama-cpp-python: load progress, the kept
evaluated prompt, schema-valid results over varied histories, the model's own reading of made and hand-set moods,
a user-chosen or downloaded model file, another chat template, and `emotune analyze`. Stopping and failing are
in test_llm_control.py."""
from __future__ import annotations

import json
import shutil
import threading

import pytest

from benchmarks.bench_llm import GENRES, varied_requests
from emotune.llm.analyst import Analyst, context_size
from emotune.llm.grounding import measured_opening
from emotune.llm.model_files.model_locator import DEFAULT_MODEL_NAME
from emotune.llm.prompt import (EXAMPLE_SENTENCES, build_messages, example_key, longest_prompt_chars, reply_start,
                                time_anchor)
from emotune.llm.runtime import prompt_cache
from emotune.llm.schema import MAX_TOKENS, SUMMARY_MAX_CHARS, build_schema, check_reply
from emotune.llm.targets import music_targets
from emotune.llm.values import MOOD_LABELS
from tests.llm_checks import BUDGET_S, SEED, assert_valid

pytestmark = pytest.mark.slow


def test_load_reports_progress_and_is_lazy_and_once(gguf):
    analyst = Analyst.for_model(gguf)
    assert not analyst.engine.loaded and analyst.error is None and analyst.model_name == DEFAULT_MODEL_NAME
    steps: list[tuple[float, str]] = []
    assert analyst.load(lambda f, m: steps.append((f, m)))
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(steps) > 3 and steps[-1][1].endswith("ready")
    llama = analyst.engine._llama
    assert analyst.load() and analyst.engine._llama is llama     # loaded once
    assert llama.n_ctx() == context_size() and analyst.engine.info.has_chat_template
    analyst.engine.close()


def test_a_cancelled_load_can_be_retried(gguf):
    analyst, cancel = Analyst.for_model(gguf), threading.Event()
    cancel.set()
    assert not analyst.load(cancel=cancel) and not analyst.engine.loaded
    assert analyst.error is None            # not remembered as a broken model
    assert analyst.load() and analyst.engine.loaded
    analyst.engine.close()


def test_warm_up_evaluates_the_fixed_prompt_once(gguf):
    """After warm_up the model holds the instructions, genre list and a worked example, so an analysis
    evaluates only its own request (and its example, when that differs); the result is the same kind."""
    analyst = Analyst.for_model(gguf, seed=SEED, time_budget_s=BUDGET_S)
    assert analyst.warm_up(GENRES)
    llama = analyst.engine._llama
    messages = build_messages(varied_requests(1)[0])
    system, example = (llama.tokenize(messages[i]["content"].encode()) for i in (0, 2))
    assert llama.n_tokens > len(system) + len(example)    # the system message and the example are evaluated
    request = varied_requests(2, seed=12)[1]
    assert_valid(analyst.analyze(request), request)
    assert not Analyst(None).warm_up(GENRES)
    analyst.engine.close()


def test_the_evaluated_prompt_is_kept_for_the_next_run(gguf, tmp_path):
    """warm_up saves the evaluated fixed prompt in the cache folder; a new Analyst (the next run) restores it
    instead of evaluating ~1,000 tokens, and replies exactly as if it had evaluated them (greedy decoding)."""
    request = varied_requests(3, seed=9)[1]
    runs = []
    for _ in range(2):
        analyst = Analyst.for_model(gguf, temperature=0.0, prompt_cache_dir=tmp_path, time_budget_s=BUDGET_S)
        assert analyst.warm_up(GENRES)
        runs.append((analyst.prompt_restored, analyst.engine.evaluated_tokens(), analyst.analyze(request)))
        analyst.engine.close()
    (first_restored, evaluated, first), (restored, _, second) = runs
    assert first_restored == 0 and restored == len(evaluated) > 300
    assert second.summary == first.summary and second.source == first.source
    assert [p.name for p in tmp_path.iterdir()] == [
        prompt_cache.cache_file(tmp_path, gguf, context_size()).name]   # one file, no leftovers
    assert oct(next(tmp_path.iterdir()).stat().st_mode & 0o777) == oct(0o600)   # owner-only, like the journal


@pytest.mark.parametrize("damage", ["truncated", "not a state file"])
def test_a_damaged_prompt_state_is_evaluated_again_and_replaced(gguf, tmp_path, damage, saved_prompt):
    path = prompt_cache.cache_file(tmp_path, gguf, context_size())   # a state warm_up wrote, then damaged
    data = saved_prompt.read_bytes()
    path.write_bytes(data[: len(data) // 3] if damage == "truncated" else b"GGUF" + bytes(5000))
    request = varied_requests(2, seed=4)[1]
    restored = []
    for _ in range(2):   # the next run evaluates the prompt and replaces the file; the run after restores it
        analyst = Analyst.for_model(gguf, seed=SEED, prompt_cache_dir=tmp_path, time_budget_s=BUDGET_S)
        assert analyst.warm_up(GENRES)
        restored.append(analyst.prompt_restored)
        assert_valid(analyst.analyze(request), request)
        analyst.engine.close()
    assert restored[0] == 0 and restored[1] > 300


def test_context_fits_the_longest_prompt_and_the_reply(analyst):
    """n_ctx is sized for the prompt (llama-cpp-python's default 512 is not): count real tokens."""
    longest = "x" * longest_prompt_chars()
    words = " ".join(m["content"] for m in build_messages(varied_requests(1)[0]))
    ratio = len(analyst.engine._llama.tokenize(words.encode())) / len(words)
    assert ratio * len(longest) + 128 + analyst.max_tokens <= analyst.engine.n_ctx


def test_schema_becomes_a_grammar():
    """llama-cpp-python silently falls back to free JSON when a schema cannot be converted: make sure not."""
    from llama_cpp.llama_grammar import LlamaGrammar

    for genres in (GENRES, ()):
        assert LlamaGrammar.from_json_schema(json.dumps(build_schema(genres)), verbose=False)
    for model_first in (True, False):
        schema = build_schema(GENRES, time_anchor("evening"), model_first=model_first)
        assert LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)


def test_every_reply_opens_with_the_measured_sentence(analyst):
    """The model writes the summary's second sentence, which its grammar starts with the time of day, after the
    worked example for the request's main emotion; llama.cpp accepts the grammar and the reply parses. The
    analysis puts the measured first sentence (grounding.measured_opening) before it."""
    for request in varied_requests(4, seed=13):
        then = time_anchor(request.time_of_day)
        gen = analyst.engine.generate(build_messages(request), schema=build_schema(GENRES, then, model_first=False),
                                      max_tokens=MAX_TOKENS, sink=lambda piece: True, seed=SEED,
                                      prefix_key=example_key(request))
        summary = json.loads(gen.text)["summary"]
        assert summary.startswith(f"{then} ") and summary.endswith(".") and summary.count(".") == 1
        assert len(measured_opening(request.summary)) + 1 + len(summary) <= SUMMARY_MAX_CHARS
    # a history whose first reply SmolLM2 got wrong when it wrote the first sentence itself ("sad" for an
    # angry face): the model's own analysis, opening with what was measured
    request = varied_requests(1, seed=7)[0]
    result = Analyst(analyst.engine, seed=SEED, time_budget_s=BUDGET_S).analyze(request)
    assert result.source != "fallback", result.reason
    assert result.summary.startswith(measured_opening(request.summary))


def test_grammar_last_sampling_keeps_the_grammar_and_the_choices(gguf, saved_prompt):
    """Grammar-last sampling (sampling.py) must not change what the grammar allows: greedy decoding gives
    the same text as llama-cpp-python's stock grammar-first chain, and sampled replies still parse. Both
    models start from the same evaluated fixed prompt."""
    from emotune.llm.runtime.engine import LlamaEngine

    engines = [LlamaEngine(gguf, n_ctx=context_size(), llama_kwargs={"grammar_last": last}) for last in (True, False)]
    assert all(engine.restore_prompt(saved_prompt) > 300 for engine in engines)
    request = varied_requests(3, seed=5)[2]
    messages, schema = build_messages(request), build_schema(GENRES, reply_start(request), model_first=False)
    greedy = [e.generate(messages, schema=schema, max_tokens=120, sink=lambda p: True, temperature=0.0)
              for e in engines]
    assert greedy[0].text == greedy[1].text and greedy[0].finish_reason == "stop"
    resampled = 0
    for seed in range(3):
        gen = engines[0].generate(messages, schema=schema, max_tokens=300, sink=lambda p: True, seed=seed,
                                  temperature=1.0)     # hot, so that some draws break the grammar
        data = json.loads(gen.text)
        assert set(data) == set(schema["required"]) and set(data["genres"]) <= set(GENRES)
        resampled += gen.resampled
    assert resampled > 0                               # the resampling path ran, and its replies parse
    for engine in engines:
        engine.close()


@pytest.fixture(scope="module")
def varied_runs(analyst) -> list[tuple]:
    """The module analyst's analyses of six varied histories (seed pinned, so always the same replies): for
    each, the request, the result, what was shown while it was made, and the model's last reply. Made once,
    read by the tests about them."""
    runs = []
    for request in varied_requests(6, seed=11):
        shown: list[str] = []
        result = analyst.analyze(request, on_text=shown.append)
        runs.append((request, result, shown, analyst.last_generation.text))
    return runs


def test_results_are_schema_valid_over_varied_histories(varied_runs):
    """Six varied histories: the model answers every one itself, each reply passing the checks, and what is
    shown is only checked text: the measured first sentence at once, then the whole summary once it is valid."""
    for request, result, shown, reply in varied_runs:
        assert_valid(result, request)
        assert not result.cancelled and result.model == DEFAULT_MODEL_NAME
        assert shown == [measured_opening(request.summary), result.summary]
        checked = check_reply(reply, request.catalog_genres, request.summary, request.time_of_day,
                              liked=request.preferred_genres, examples=EXAMPLE_SENTENCES,
                              opening=measured_opening(request.summary) if result.source == "llm" else "",
                              then=reply_start(request))   # one reply here runs to the bound and is ended early
        assert checked.summary == result.summary and isinstance(json.loads(reply), dict)
        assert result.summary.startswith("You ") and time_anchor(request.time_of_day) in result.summary


@pytest.mark.parametrize("seed", [1, 2])
def test_issue_25_histories_get_the_models_own_reading(analyst, seed):
    """Issue 25's seven histories (steady sad and happy, anger rising over two minutes, calm neutral, sad,
    angry and fear set by hand): every one from the model, naming the mood, echoing nothing, not in the first
    person, and telling the rising anger as a change."""
    from benchmarks.bench_analyze_cli import problems
    from benchmarks.mood_histories import issue_histories
    from emotune.llm.values import AnalysisRequest

    pinned = Analyst(analyst.engine, seed=seed, time_budget_s=BUDGET_S)
    for made in issue_histories():
        request = AnalysisRequest(made.history.summary(), hour=19, catalog_genres=GENRES)
        result = pinned.analyze(request)
        assert_valid(result, request)
        assert problems(made, result.to_json(), 0.0) == [], (made.name, result.summary)


@pytest.mark.parametrize("emotion", ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
def test_a_mood_set_by_hand_gets_the_models_reading(analyst, emotion):
    """A mood set by hand has no share, trend or second emotion: the reading says the user set it, and the
    model's sentence is about that mood, never a measurement."""
    from emotune.core.history import MoodHistory
    from emotune.core.mood import MoodSnapshot
    from emotune.llm.values import AnalysisRequest

    summary = MoodHistory([MoodSnapshot.manual_mood(emotion, timestamp=t) for t in (1.0, 2.0)]).summary()
    request = AnalysisRequest(summary, hour=14, goal="lift" if emotion in ("sad", "angry") else "match",
                              catalog_genres=GENRES)
    result = Analyst(analyst.engine, seed=SEED, time_budget_s=BUDGET_S).analyze(request)
    assert_valid(result, request)
    assert result.summary.startswith(f"You set your mood to {emotion}. This afternoon, ")
    assert "measured" not in result.summary and "%" not in result.summary


def test_phrases_and_genres_the_catalog_does_not_back_are_dropped(analyst):
    """The model's search phrases and genres are proposals: a catalog check that backs none of them leaves
    the fixed rules' phrases for the measured mood and no genre, each with a note."""
    asked: list[tuple[str, float]] = []
    strict = Analyst(analyst.engine, seed=SEED, time_budget_s=BUDGET_S,
                     phrase_check=lambda phrase, v: asked.append((phrase, v)) and False)
    request, result = _first_llm_result(strict, varied_requests(6, seed=2))
    assert result.genres == () and result.search_phrases and asked
    assert {v for _, v in asked} == {music_targets(request.summary, request.goal).valence}
    assert any("fixed rules" in note for note in result.notes)


def test_each_worked_examples_evaluated_prompt_is_kept_and_put_back(gguf, saved_prompt):
    """Requests whose main emotions alternate: the second time an example comes, its evaluated prefix is put
    back (prefix_states.py) instead of evaluated again, and the reply is the model's own as before. (The
    model starts from the evaluated instructions, as after a warm-up, and holds no prefix yet.)"""
    analyst = Analyst.for_model(gguf, seed=SEED, time_budget_s=BUDGET_S)
    assert analyst.engine.restore_prompt(saved_prompt) > 300 and analyst.engine.prefixes.restored == 0
    requests = varied_requests(14, seed=21)
    a = requests[0]
    b = next(r for r in requests if example_key(r) != example_key(a))
    results = [analyst.analyze(r) for r in (a, b, a)]
    assert analyst.engine.prefixes.restored >= 1
    for request, result in zip((a, b, a), results):
        assert_valid(result, request)
    assert analyst.last_generation.finish_reason == "stop"    # the restored prefix gave a complete reply
    analyst.engine.close()


def _first_llm_result(analyst, requests, shown: list[str] | None = None):
    """The first request the model answers itself (seed pinned, so always the same one); `shown` gets
    what was streamed for it."""
    for request in requests:
        if shown is not None:
            shown.clear()
        result = analyst.analyze(request, on_text=None if shown is None else shown.append)
        if result.source == "llm":
            return request, result
    pytest.fail("the model's replies fell back for every request")


def test_only_checked_text_is_shown(varied_runs):
    """The window shows nothing unchecked: the measured first sentence at once, the model's sentence only once
    the whole reply has passed the checks (a rejected reply used to stream before it was replaced). Read from
    the varied histories' analyses, each of which the model wrote."""
    for request, result, shown, _ in varied_runs:
        assert result.source in ("llm", "llm-retry"), result.reason
        assert shown == [measured_opening(request.summary), result.summary]


def test_user_chosen_model_file_is_used(gguf, tmp_path):
    """A GGUF the user picked (same file under another name and folder, standing in for a larger model)."""
    chosen = tmp_path / "my models" / "Llama-3.2-3B-Instruct Q4_K_M.gguf"
    chosen.parent.mkdir()
    shutil.copyfile(gguf, chosen)
    analyst = Analyst.discover(chosen, model_dirs=[tmp_path / "empty"], seed=SEED, time_budget_s=BUDGET_S)
    assert analyst.model_name == chosen.name and analyst.notes == ()
    assert analyst.load()
    request, result = _first_llm_result(analyst, varied_requests(6, seed=5))
    assert_valid(result, request)
    assert result.model == chosen.name
    analyst.engine.close()
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model" * 200_000)
    fallback = Analyst.discover(broken, model_dirs=[chosen.parent])
    assert fallback.model_name == chosen.name and "chosen model" in fallback.notes[0]
    nothing = Analyst.discover(broken, model_dirs=[tmp_path / "empty"])
    assert not nothing.load() and "not a GGUF" in nothing.error and "Settings" in nothing.error


def test_cli_analyze_prints_json_and_text(gguf, tmp_path, capsys):
    from emotune.cli.main import main
    from emotune.core.history import MoodHistory
    from emotune.core.mood import MoodSnapshot

    history = tmp_path / "history.json"
    MoodHistory([MoodSnapshot.from_distribution([0.05, 0, 0.05, 0.7, 0.05, 0.1, 0.05], timestamp=t, held_s=t)
                 for t in range(0, 120, 2)]).save(history)
    assert main(["analyze", "--history", str(history), "--json", "--model", str(gguf), "--seed", "3",
                 "--time-budget", str(BUDGET_S), "--hour", "9", "--genre", "pop"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"] in ("llm", "llm-retry") and out["summary"].strip()
    assert out["mood"] in MOOD_LABELS and out["model"] == DEFAULT_MODEL_NAME
    assert main(["analyze", "--history", str(history), "--model", str(tmp_path / "none.gguf")]) == 0
    captured = capsys.readouterr()
    assert "made by: deterministic fallback" in captured.out and "model file not found" in captured.out
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert main(["analyze", "--history", str(tmp_path / "bad.json"), "--no-model"]) == 2
    assert "is not JSON" in capsys.readouterr().err


def test_another_chat_template_gives_the_same_reply_form(gguf):
    """A downloaded model brings its own chat template, which llama-cpp-python reads from the GGUF. The
    reply's form does not depend on it: formatted with another template (Llama-2's here), the reply is still
    the schema's JSON, the model's part of the summary opening with the time of day."""
    from emotune.llm.runtime.engine import LlamaEngine

    engine = LlamaEngine(gguf, n_ctx=context_size(), llama_kwargs={"chat_format": "llama-2"})
    request = varied_requests(1, seed=4)[0]
    then = time_anchor(request.time_of_day)
    gen = engine.generate(build_messages(request), schema=build_schema(GENRES, then, model_first=False),
                          max_tokens=600, sink=lambda piece: True, seed=SEED)
    data = json.loads(gen.text)
    assert gen.finish_reason == "stop" and set(data) == {"summary", "search_phrases", "genres"}
    assert data["summary"].startswith(f"{then} ")
    engine.close()


def test_a_downloaded_model_analyses_through_the_same_code(gguf, tmp_path, monkeypatch):
    """The opt-in larger model: fetched through huggingface_hub from a hub on 127.0.0.1 (tests/hub_server.py;
    the real SmolLM2 file stands in for the 1.1 GB Qwen2.5), checked, put where Settings points, then found
    by discovery and used by the same Analyst: the model's own reading of a hand-set mood and of a changed
    window."""
    from benchmarks.mood_histories import issue_histories
    from emotune.llm.model_files.model_download import ModelOffer, download_model
    from emotune.llm.values import AnalysisRequest
    from tests.hub_server import HubServer

    offer = ModelOffer(repo_id="emotune-test/larger-GGUF", filename="larger-instruct-q4_k_m.gguf", title="Larger",
                       size_text="98 MB", licence="Apache-2.0")
    with HubServer() as hub:
        hub.add(offer.repo_id, offer.filename, gguf.read_bytes())
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        path = download_model(offer, tmp_path / "models")
    analyst = Analyst.discover(path, model_dirs=[tmp_path / "empty"], seed=SEED, time_budget_s=BUDGET_S)
    assert analyst.model_name == offer.filename and analyst.load()
    for made in (issue_histories()[2], issue_histories()[4]):     # anger rising; sad set by hand
        request = AnalysisRequest(made.history.summary(), hour=21, catalog_genres=GENRES)
        result = analyst.analyze(request)
        assert_valid(result, request)
        assert result.model == offer.filename and made.phase_told_right(result.summary), result.summary
    analyst.engine.close()
