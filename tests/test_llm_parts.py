"""The LLM analysis parts that need no model: the grounded prompt, the reply check and repair, the streamed
summary reader, the deterministic fallback, the measured opening and the search phrases. The model files
(GGUF reader, discovery order, saved prompt states) are tested in test_llm_model_files.py."""
from __future__ import annotations

import dataclasses
import json
import re

import pytest

from benchmarks.bench_llm import GENRES, varied_requests
from emotune.llm.fallback import fallback_analysis
from emotune.llm.grounding import fitting_labels, fix_wording, grounding_problems, label_problem
from emotune.llm.prompt import build_messages, describe_measurements
from emotune.llm.schema import SENTENCE_MAX_CHARS, SUMMARY_MAX_CHARS, InvalidReply, build_schema, check_reply
from emotune.llm.stream import FieldStreamer, partial_string_field
from emotune.llm.targets import music_targets
from emotune.llm.values import MAX_JOURNAL_DAYS, Analysis, AnalysisRequest, JournalDay, second_emotion, span_words

GOOD = {"summary": "You look calm and a little happy today, and the mood is steady.",
        "search_phrases": ["calm piano", "soft jazz"], "genres": ["jazz", "piano"]}


def test_prompt_holds_the_measured_facts_and_nothing_else_about_the_user():
    for request in varied_requests(12, seed=3):
        s = request.summary
        text = describe_measurements(request)
        top = max(s.shares, key=s.shares.get)
        assert text.startswith(f"Main emotion: {top} ({s.shares[top] * 100:.0f}%)")
        second = second_emotion(s)
        assert (f"Second emotion: {second[0]} ({second[1] * 100:.0f}%)." in text) if second else "Second" not in text
        assert f"Mood trend: {s.trend}." in text
        measured = {f"{v * 100:.0f}" for v in s.shares.values()} | {str(s.face_count)}
        measured |= set(re.findall(r"\d+", span_words(s.dominant_held_s) + span_words(s.duration_s)))
        numbers = set(re.findall(r"[-+]?\d+(?:\.\d+)?", text))
        assert numbers <= measured, f"numbers not measured: {numbers - measured}"
        keys = {line.split(":")[0] for line in text.splitlines()}
        assert keys <= {"Main emotion", "Second emotion", "Mood trend", "Faces", "Time of day", "Liked genres",
                        "Preferred languages", "Goal", "Chosen music"}
        assert str(request.hour) not in re.findall(r"\d+", text.split("Time of day")[1].splitlines()[0])
        assert f"Chosen music: {music_targets(s, request.goal).words()}." in text
        messages = build_messages(request)
        assert messages[0]["role"] == "system" and messages[-1] == {"role": "user", "content": text}
        # one worked example, the one for the main emotion
        assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
        assert messages[1]["content"].startswith(f"Main emotion: {top} (")


def test_music_targets_follow_the_measurement_trend_and_goal_not_the_model():
    by_emotion = {}
    for request in varied_requests(40, seed=4):
        s = request.summary
        t = music_targets(s, "match")
        assert t.valence == pytest.approx(min(1, max(0, 0.5 + 0.45 * s.valence
                                                     + {"rising": 0.04, "falling": -0.04}.get(s.trend, 0))), abs=1e-3)
        assert t.energy == pytest.approx(0.5 + 0.45 * s.arousal, abs=1e-3)
        lift = music_targets(s, "lift")
        assert lift.valence >= t.valence - 0.04 and 0 <= lift.energy <= 1
        by_emotion.setdefault(max(s.shares, key=s.shares.get), []).append(t.valence)
    # a happy history's music is brighter than a sad one's (the old prompt's model wrote 0.45 for both)
    assert min(by_emotion["happy"]) > max(by_emotion["sad"])
    s = varied_requests(1, seed=4)[0].summary
    rising, falling = (music_targets(dataclasses.replace(s, trend=t), "lift") for t in ("rising", "falling"))
    assert rising.valence > falling.valence


def test_check_reply_accepts_a_good_reply_and_repairs_small_faults():
    ok = check_reply(json.dumps(GOOD), ["jazz", "piano", "pop"])
    assert (ok.genres, ok.notes) == (("jazz", "piano"), ())
    messy = dict(GOOD, genres=["Jazz", "opera"],
                 search_phrases=["calm piano", "calm piano", "x" * 80], summary="  " + GOOD["summary"] + "\n ")
    fixed = check_reply(json.dumps(messy), ["jazz", "piano"])
    assert fixed.genres == ("jazz",)
    assert len(fixed.search_phrases) == 2 and all(len(p) <= 40 for p in fixed.search_phrases)
    assert fixed.summary == GOOD["summary"] and len(fixed.notes) >= 3


def test_a_sentence_cut_at_the_grammars_length_limit_ends_at_its_last_whole_clause():
    then = "This evening, dark and calm songs"
    whole = {"summary": f"{then} suit a quiet hour.", "search_phrases": ["rainy day acoustic"], "genres": []}
    assert check_reply(json.dumps(whole), ["jazz"], then=then).summary == whole["summary"]
    free = ("suit the hour and keep you company while the evening slows down and the lights go low, "
            "and the inner drive of the night")[:SENTENCE_MAX_CHARS]   # "… and the inner dr": all the grammar allows
    cut = check_reply(json.dumps(dict(whole, summary=f"{then} {free}.")), ["jazz"], then=then)
    ended = "suit the hour and keep you company while the evening slows down and the lights go low"
    assert cut.summary == f"{then} {ended}."
    assert "a sentence cut at the length limit ends at its last whole clause" in cut.notes
    rambling = dict(whole, summary=f"{then} {'x' * SENTENCE_MAX_CHARS}.")   # no whole clause to end at
    with pytest.raises(InvalidReply, match="cut mid-word"):
        check_reply(json.dumps(rambling), ["jazz"], then=then)


@pytest.mark.parametrize("reply, why", [
    ('{"summary": "You look calm', "cut off"),
    ("[1, 2]", "not a JSON object"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "genres"}), "fields missing: genres"),
    (json.dumps(dict(GOOD, summary='{"mood": "calm"} is what you are')), "JSON syntax"),
    (json.dumps(dict(GOOD, search_phrases=[" ", "!!"])), "no usable search phrase"),
])
def test_check_reply_says_what_is_wrong(reply, why):
    with pytest.raises(InvalidReply, match=re.escape(why)):
        check_reply(reply, ["jazz", "piano"])


def test_grounding_rejects_what_was_not_measured():
    request = next(r for r in varied_requests(20, seed=5) if r.summary.dominant == "angry")
    s, when = request.summary, request.time_of_day
    other_time = "morning" if when != "morning" else "evening"
    other_trend = {"rising": "falling", "falling": "rising", "steady": "rising"}[s.trend]
    assert grounding_problems(f"You looked mostly angry and your mood is {s.trend}.", s, when) == []
    assert "but it is" in grounding_problems(f"You looked angry this {other_time}.", s, when)[0]
    dawn, dusk = "songs can ease you into the day.", "songs can ease you into the night."
    assert grounding_problems(f"You looked mostly angry and your mood is {s.trend}. This morning, {dawn}", s,
                              "morning") == []
    assert grounding_problems(f"You looked mostly angry and your mood is {s.trend}. Tonight, {dusk}", s, "night") == []
    assert grounding_problems(f"You looked mostly angry and your mood is {s.trend}. Tonight, {dawn}", s, "night") == [
        "summary says 'into the day' but it is night"]
    assert ["summary says 'into the night' but it is afternoon"] == grounding_problems(
        f"You looked angry. This afternoon, {dusk}", s, "afternoon")
    assert "mood is" in grounding_problems(f"You looked angry, and your mood is {other_trend}.", s, when)[0]
    assert "main emotion" in grounding_problems("You seem to be doing fine.", s, when)[0]
    rare = min(s.shares, key=s.shares.get)
    assert any(f"names {rare}" in p for p in grounding_problems(f"You looked angry and {rare}.", s, when))
    assert "was not measured" in grounding_problems("You looked angry (99%).", s, when)[0]
    assert "repeats itself" in " ".join(grounding_problems("Angry: high, angry: high, angry: high.", s, when))
    assert "angry" in fitting_labels(s) and all(label_problem(m, s) is None for m in fitting_labels(s))
    assert label_problem("angry", s) is None and "does not fit" in label_problem("sad" if s.shares["sad"] < 0.1
                                                                                 else "surprised", s)
    assert fix_wording("You looked mostly fear, then Surprise.") == "You looked mostly afraid, then Surprise."
    reply = json.dumps(dict(GOOD, summary="You looked mostly happy, and your mood is rising. Bright music!"))
    with pytest.raises(InvalidReply, match="main emotion"):
        check_reply(reply, ["jazz", "piano"], s, when)


def _journal_request(**overrides) -> AnalysisRequest:
    """An angry, steady session at valence +0.20 (whatever varied_requests drew), with the given fields."""
    request = next(r for r in varied_requests(20, seed=5) if r.summary.dominant == "angry")
    summary = dataclasses.replace(request.summary, valence=0.2, trend="steady")
    return dataclasses.replace(request, summary=summary, **overrides)


JOURNAL = (JournalDay(1, "sad", 0.61, -0.35), JournalDay(3, "happy", 0.52, 0.48))


def test_prompt_states_journal_days_only_when_given():
    without = describe_measurements(_journal_request())
    assert "journal" not in without.lower() and "yesterday" not in without
    text = describe_measurements(_journal_request(journal=JOURNAL))
    line = next(line for line in text.splitlines() if line.startswith("Mood journal"))
    assert "yesterday mostly sad 61%, valence -0.35" in line and "3 days ago mostly happy 52%, valence +0.48" in line
    assert text.replace(line + "\n", "") == without   # nothing else changes
    assert len(line) < 160   # a short line: every prompt token costs time on a small CPU
    many = tuple(JournalDay(d, "neutral", 0.5, 0.0) for d in (6, 2, 1, 5, 4))
    assert [d.days_ago for d in _journal_request(journal=many).journal] == [1, 2, 4][:MAX_JOURNAL_DAYS]
    with pytest.raises(ValueError, match="earlier days only"):
        JournalDay(0, "sad", 0.5, 0.0)


def test_grounding_accepts_given_journal_facts_and_rejects_invented_ones():
    request = _journal_request(journal=JOURNAL)
    s, when, days = request.summary, request.time_of_day, request.journal
    # referring to what the journal says is fine, numbers and moods of those days included
    for ok in ("You looked mostly angry, and your mood is brighter than yesterday.",
               "You looked mostly angry; yesterday you were mostly sad (61%).",
               "You looked mostly angry, a little lower than 3 days ago, when you looked happy.",
               "You looked mostly angry, better than the last days."):
        assert grounding_problems(ok, s, when, days) == [], ok
    # the same sentences without the journal are invented
    assert "no journal" in grounding_problems("You looked mostly angry, brighter than yesterday.", s, when)[0]
    assert "no journal" in grounding_problems("You looked mostly angry, as in recent days.", s, when)[0]
    bad = {
        "You looked mostly angry, lower than yesterday.": "valence went from -0.35 to +0.20",
        "You looked mostly angry, brighter than 3 days ago.": "valence went from +0.48",
        "You looked mostly angry, as you did 2 days ago.": "2 days ago, which the journal does not cover",
        "You looked mostly angry; yesterday you were sad (75%).": "gives 75%",
        "You looked mostly angry, and yesterday you looked disgusted.": "names disgust",
        "You looked mostly angry. You seem a little happy.": "names happy",   # a journal mood, said of now
    }
    for text, why in bad.items():
        problems = grounding_problems(text, s, when, days)
        assert any(why in p for p in problems), (text, problems)
    # a comparison with a day stays apart from the session's trend, which is still checked
    assert "mood is rising" in " ".join(grounding_problems("You looked angry, and your mood is rising.", s, when,
                                                           days))
    reply = json.dumps(dict(GOOD, summary="You looked mostly angry and steady, brighter than yesterday."))
    assert check_reply(reply, ["jazz", "piano"], s, when, days).summary.endswith("than yesterday.")
    with pytest.raises(InvalidReply, match="no journal"):
        check_reply(reply, ["jazz", "piano"], s, when)


def test_schema_bounds_every_string_and_list():
    schema = build_schema(["jazz", "pop"])
    props = schema["properties"]
    assert props["summary"]["maxLength"] == SUMMARY_MAX_CHARS and set(props) == {"summary", "search_phrases", "genres"}
    assert props["search_phrases"]["maxItems"] == 3 and props["search_phrases"]["items"]["maxLength"] <= 40
    assert props["genres"]["items"]["enum"] == ["jazz", "pop"] and props["genres"]["maxItems"] == 3
    assert set(schema["required"]) == set(props) and schema["additionalProperties"] is False
    assert build_schema([])["properties"]["genres"]["maxItems"] == 0


def test_streamer_shows_the_summary_while_the_json_is_still_open():
    text = json.dumps({"summary": "Caf\u00e9 time \U0001F600 \"quoted\"\nnext", "mood": "calm"})
    streamer, shown = FieldStreamer("summary"), []
    for ch in text:
        if (value := streamer.feed(ch)) is not None:
            shown.append(value)
    assert shown[-1] == "Caf\u00e9 time \U0001F600 \"quoted\"\nnext"
    assert all(b.startswith(a) for a, b in zip(shown, shown[1:]))
    assert partial_string_field('{"summary": "ab\\u00', "summary") == "ab"
    assert partial_string_field('{"mood": "x"', "summary") is None


def test_fallback_is_valid_grounded_and_follows_the_goal():
    for request in varied_requests(30, seed=5):
        result = fallback_analysis(request, "test")
        assert isinstance(result, Analysis) and result.source == "fallback" and result.reason == "test"
        assert set(result.genres) <= set(GENRES) and 1 <= len(result.search_phrases) <= 3
        assert len(result.summary) <= SUMMARY_MAX_CHARS
        assert grounding_problems(result.summary, request.summary, request.time_of_day) == []
        assert result.mood in fitting_labels(request.summary)
    sad = next(r for r in varied_requests(30, seed=5) if r.summary.dominant == "sad")
    match = fallback_analysis(AnalysisRequest(sad.summary, 12, goal="match"), "")
    lift = fallback_analysis(AnalysisRequest(sad.summary, 12, goal="lift"), "")
    assert lift.target_valence > match.target_valence


def test_the_measured_opening_states_what_was_measured_and_passes_the_grounding_check():
    from benchmarks.bench_llm import varied_summaries
    from emotune.llm.grounding import measured_opening

    for summary in varied_summaries(40, seed=2):
        opening = measured_opening(summary)
        if summary.shape.changed:   # told by its phases (tests/test_llm_window.py)
            assert " at first, then " in opening
        else:
            assert opening.startswith("You looked mostly ") and opening.endswith(f"your mood is {summary.trend}.")
        assert grounding_problems(opening + " Easy, even music fits it.", summary, "evening") == []
    manual = dataclasses.replace(varied_summaries(1)[0], manual=True)
    assert measured_opening(manual) == f"You set your mood to {manual.dominant}."


def test_what_the_model_writes_of_the_summary_becomes_a_pattern():
    """Without `model_first` the model writes one sentence that starts with the time of day (our code puts the
    measured first sentence before it); with it, a sentence of its own first."""
    pattern = build_schema(GENRES, "This evening,", model_first=False)["properties"]["summary"]["pattern"]
    assert re.fullmatch(pattern, "This evening, bright music fits it.")
    assert not re.fullmatch(pattern, "You looked mostly happy. This evening, bright music fits it.")
    assert not re.fullmatch(pattern, "This morning, bright music fits it.")
    assert not re.fullmatch(pattern, "This evening, bright music fits it. More.")                # one sentence
    assert not re.fullmatch(pattern, "This evening, " + "x" * SUMMARY_MAX_CHARS + ".")
    own = build_schema(GENRES, "This evening,")["properties"]["summary"]["pattern"]
    assert re.fullmatch(own, "You chose a calm mood. This evening, bright music fits it.")
    assert not re.fullmatch(own, "This evening, bright music fits it.")
    with pytest.raises(ValueError):
        build_schema(GENRES, "This (evening),")


def test_a_reading_must_cover_what_was_measured_and_be_its_own():
    from emotune.llm.grounding import copy_problems, coverage_problems, liked_problems, restates
    from emotune.llm.prompt import EXAMPLE_SENTENCES, EXAMPLES, example_key

    request = next(r for r in varied_requests(40, seed=6) if second_emotion(r.summary) and r.summary.trend == "falling")
    s = request.summary
    top, (second, _) = max(s.shares, key=s.shares.get), second_emotion(s)
    covered = f"You have looked mostly {top}, with some {second}, and your mood is falling. Soft songs help."
    assert coverage_problems(covered, s) == []
    assert any("falling" in p for p in coverage_problems(f"You looked {top}, with some {second}.", s))
    assert any(second in p for p in coverage_problems(f"You looked {top}, and your mood is falling.", s))
    # a sentence of the worked example, whatever time of day it starts with, is a copy
    example = EXAMPLES[example_key(request)]
    copied = re.sub(r"^(This \w+|Tonight), ", "", example.reading)
    assert copy_problems(f"{covered} Tonight, {copied}", EXAMPLE_SENTENCES)
    assert copy_problems(covered, EXAMPLE_SENTENCES) == []
    # the retry's forced first sentence is ours, even where an example measured the very same mood
    example_first = example.summary.split(". ")[0] + "."
    assert copy_problems(f"{example_first} Soft songs help.", EXAMPLE_SENTENCES)
    assert copy_problems(f"{example_first} Soft songs help.", EXAMPLE_SENTENCES, forced=example_first) == []
    # tastes the user did not state
    assert liked_problems("Your love of jazz shows.", ())
    assert liked_problems("Your love of jazz shows.", ("jazz",)) == []
    assert liked_problems("Your mood is calm.", ()) == []
    # the deterministic summary, reworded only in its numbers, is not an analysis
    deterministic = fallback_analysis(request, "").summary
    assert restates(re.sub(r"\d+", "7", deterministic), deterministic)
    assert not restates(covered, deterministic)


def test_the_summary_opens_with_the_measured_sentence_and_the_time_of_day():
    """check_reply puts the measured first sentence (ours) before what the model wrote and checks the whole."""
    from emotune.llm.grounding import measured_opening

    request = varied_requests(1, seed=8)[0]
    s = request.summary
    opening = measured_opening(s)
    reply = json.dumps(dict(GOOD, summary="This evening, soft songs can settle the day."))
    checked = check_reply(reply, GENRES, s, "evening", opening=opening)
    assert checked.summary == f"{opening} This evening, soft songs can settle the day."
    assert s.trend == "rising"
    wrong = json.dumps(dict(GOOD, summary="This evening, your mood is falling and soft songs help."))
    with pytest.raises(InvalidReply, match="falling"):
        check_reply(wrong, GENRES, s, "evening", opening=opening)


def test_phrases_are_searched_in_the_catalog_and_judged_by_valence():
    from emotune.music.catalog import Catalog
    from emotune.music.lists.phrase_search import PhraseSearch, words
    from emotune.music.track import Track

    def track(i: int, title: str, genre: str, valence: float) -> Track:
        return Track(id=f"{i:022d}", title=title, artists=("A",), album="", year=2000, popularity=50,
                     genres=(genre,), language="en", explicit=False, valence=valence, energy=0.5,
                     danceability=0.5, acousticness=0.5, tempo=100.0)

    catalog = Catalog.from_tracks([track(1, "Sunny Morning", "pop", 0.9), track(2, "Rainy Night", "blues", 0.1),
                                   track(3, "Morning Tears", "blues", 0.2), track(4, "Happy Days", "hip-hop", 0.8)])
    search = PhraseSearch(catalog)
    assert words("Feel-good hip-hop songs") == ["feel-good", "feel", "good", "hip-hop", "hip", "hop"]
    assert search.suits("sunny pop", 0.8) and not search.suits("sunny pop", 0.2)
    assert search.suits("rainy blues", 0.2) and not search.suits("lady in a ball gown", 0.8)   # no hit at all
    assert len(search.hits("morning")) == 2 and search.suits("hip-hop", 0.7)
