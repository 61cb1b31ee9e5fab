"""The window's shape (emotune.core.window_shape) and what the analysis makes of it: the measured first
sentence tells phases and real spans, a mood set by hand is never called measured, and the checks reject
prompt echoes and first-person text. No model needed."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from emotune.core.emotions import EMOTIONS
from emotune.core.history import MoodHistory
from emotune.core.mood import MoodSnapshot
from emotune.core.window_shape import WindowShape, describe, last_span_words, span_words
from emotune.llm.grounding import coverage_problems, echo_problems, grounding_problems, measured_opening
from emotune.llm.prompt import describe_measurements
from emotune.llm.schema import InvalidReply, check_reply
from emotune.llm.values import AnalysisRequest


def dist(**shares: float) -> np.ndarray:
    vec = np.array([shares.get(e, 0.0) for e in EMOTIONS]) + 0.01
    return vec / vec.sum()


def history(shape, seconds: float, step_s: float = 1.0, trend: str = "steady") -> MoodHistory:
    """A history whose distribution at each moment is shape(x), x from 0 (start) to 1 (end)."""
    steps = max(1, round(seconds / step_s))
    return MoodHistory([MoodSnapshot.from_distribution(shape(k / steps), timestamp=k * step_s, trend=trend,
                                                       held_s=k * step_s) for k in range(steps + 1)], max_age_s=600)


def neutral_then_angry(x: float) -> np.ndarray:
    """The issue's history: neutral for the first minute, anger growing over the second."""
    if x < 0.5:
        return dist(neutral=0.85, angry=0.05)
    return dist(angry=0.3 + x * 0.5, neutral=0.7 - x * 0.5)


def test_a_window_that_changed_is_told_as_phases_with_real_spans():
    summary = history(neutral_then_angry, 120).summary()
    shape = summary.shape
    assert [p.emotion for p in shape.phases] == ["neutral", "angry"]
    assert shape.changed and shape.rising("angry") and shape.falling("neutral")
    opening = measured_opening(summary)
    assert opening.startswith("You looked neutral at first, then more and more angry over the last")
    assert "steady" not in opening
    assert grounding_problems(opening, summary, "evening") == []
    assert coverage_problems(opening, summary) == []
    assert "Mood change: neutral, then angry (growing)." in describe_measurements(AnalysisRequest(summary, hour=19))


def test_a_steady_window_and_a_short_photo_keep_their_real_spans():
    steady = history(lambda x: dist(sad=0.7, neutral=0.3), 120, step_s=2.0).summary()
    assert not steady.shape.changed and [p.emotion for p in steady.shape.phases] == ["sad"]
    assert "over the last 2 minutes" in measured_opening(steady)
    photo = history(lambda x: dist(happy=0.9), 3).summary()
    assert photo.shape.duration_s == 3.0
    assert measured_opening(photo).startswith("You looked mostly happy over the last 3 seconds")
    assert [last_span_words(s) for s in (1, 40, 70, 150)] == \
        ["the last second", "the last 40 seconds", "the last minute", "the last 2 minutes"]
    assert span_words(3) == "3 seconds" and span_words(1) == "1 second" and span_words(40) == "about 40 seconds"
    assert grounding_problems(measured_opening(photo), photo, "morning") == []


def test_a_blink_is_no_phase_and_many_swaps_are_told_as_one_mixed_stretch():
    blink = history(lambda x: dist(sad=0.9) if 0.5 < x < 0.53 else dist(happy=0.8), 100).summary()
    assert [p.emotion for p in blink.shape.phases] == ["happy"]
    swaps = history(lambda x: dist(happy=0.8) if int(x * 10) % 2 else dist(sad=0.8), 100).summary()
    assert len(swaps.shape.phases) == 1


def test_the_shape_survives_json():
    shape = history(neutral_then_angry, 120).summary().shape
    assert WindowShape.from_json(shape.to_json()) == WindowShape.from_json(shape.to_json())
    again = WindowShape.from_json(shape.to_json())
    assert [p.emotion for p in again.phases] == ["neutral", "angry"] and describe(again) == describe(shape)


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_a_hand_set_mood_opens_with_what_the_user_set_and_is_never_called_measured(emotion):
    summary = MoodHistory([MoodSnapshot.manual_mood(emotion, timestamp=5.0)]).summary()
    assert measured_opening(summary) == f"You set your mood to {emotion}."
    facts = describe_measurements(AnalysisRequest(summary, hour=19))
    assert f"Mood set by hand: {emotion}." in facts
    assert "trend" not in facts.lower() and "%" not in facts and "Second emotion" not in facts
    def reply(words: str) -> str:
        return json.dumps({"summary": words, "search_phrases": ["rainy day piano"], "genres": []})

    good = reply("This evening, soft piano can sit with that feeling.")
    checked = check_reply(good, (), summary, "evening", opening=measured_opening(summary))
    assert checked.summary.startswith(f"You set your mood to {emotion}. This evening,")
    measured = reply("This evening, your face was measured as calm.")
    with pytest.raises(InvalidReply, match="you set your mood by hand"):
        check_reply(measured, (), summary, "evening", opening=measured_opening(summary))


@pytest.mark.parametrize("words, why", [
    ("This evening, mood angry, goal match the mood, genres dark.", "echoes the request"),
    ("This evening, Mood: angry, time: evening.", "echoes the request"),
    ("This evening, on 12/03 the chosen music is dark.", "echoes the request"),
    ("This evening, I'm ready to match the mood.", "first person"),
    ("This evening, we picked dark songs for you.", "first person"),
])
def test_prompt_echoes_and_first_person_text_are_rejected(words, why):
    summary = history(lambda x: dist(angry=0.7, neutral=0.3), 60).summary()
    opening = measured_opening(summary)
    assert why in " ".join(echo_problems(f"{opening} {words}", opening))
    reply = f'{{"summary": "{words}", "search_phrases": ["late night drive"], "genres": []}}'
    with pytest.raises(InvalidReply, match=why):
        check_reply(reply, (), summary, "evening", opening=opening)
    assert echo_problems(f"{opening} This evening, dark rock lets the heat burn off.", opening) == []


def test_the_changed_windows_opening_is_ours_so_coverage_needs_the_change_told():
    summary = history(neutral_then_angry, 120).summary()
    assert coverage_problems("You looked mostly angry for about 2 minutes.", summary) == [
        "summary does not tell how the mood changed"]
    steady = dataclasses.replace(summary, shape=None)
    assert "does not say the mood is steady" in " ".join(coverage_problems("You looked angry.", steady))


@pytest.mark.parametrize("reason, hand_set, says", [
    ("the model's replies were invalid twice: summary copies the worked example / no usable search phrase", False,
     "The language model's reply did not hold up, so a short summary of the measured mood is shown instead."),
    ("the model's replies were invalid twice: summary echoes the request", True,
     "The language model's reply did not hold up, so a short summary of the mood you set is shown instead."),
    ("the time budget of 30 s ran out", False,
     "The language model took too long, so a short summary of the measured mood is shown instead."),
])
def test_after_a_fallback_the_panel_says_plainly_what_stands_in(qtbot, reason, hand_set, says):
    """The analysis panel never shows the checks' own reasons ("invalid twice: ..."): it says plainly that a
    short summary is shown instead, of the measured mood or of the mood the user set."""
    from emotune.gui.services.interfaces import AnalysisRequest as ViewRequest
    from emotune.gui.services.llm_service import LlmAnalyst
    from emotune.gui.widgets.analysis_panel import AnalysisPanel
    from emotune.llm.fallback import fallback_analysis

    if hand_set:
        summary = MoodHistory([MoodSnapshot.manual_mood("sad", timestamp=1.0)]).summary()
    else:
        summary = history(neutral_then_angry, 120).summary()

    class Stub:   # the Analyst's fallback result, as it comes back after two rejected replies
        model_name = "SmolLM2-135M-Instruct.Q4_1.gguf"

        def analyze(self, request, on_text=None, cancel=None):
            return fallback_analysis(request, reason, model=self.model_name)

    service = LlmAnalyst(lambda: Stub())
    request = ViewRequest(None, summary, None, None, "match")
    service.llm_request = lambda r: AnalysisRequest(r.summary, hour=19)
    view = service.analyze(request, on_text=lambda text: None, cancel=None)
    panel = AnalysisPanel()
    qtbot.addWidget(panel)
    panel.finish(view)
    assert view.source == "fallback" and panel.source_label.text() == says
    assert "invalid" not in panel.source_label.text() and "twice" not in panel.source_label.text()
    assert panel.plain_text() == view.text
    if hand_set:
        assert view.text.startswith("You set your mood to sad.") and "measured" not in view.text
