"""Mood smoothing properties: spikes do not flip the mood, sustained changes do, tracks follow faces."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from emotune.core.emotions import EMOTIONS, index_of, one_hot, signed, valence_arousal
from emotune.core.history import MoodHistory
from emotune.core.mood import MoodSmoother, MoodSnapshot
from emotune.core.types import Box, FaceResult

BOX = Box(100, 100, 150, 150)


def peaked(emotion: str, p: float = 0.8) -> np.ndarray:
    vec = np.full(7, (1 - p) / 6)
    vec[index_of(emotion)] = p
    return vec


def feed(smoother, emotion, start, seconds, fps=10, box=BOX):
    snap = None
    for i in range(int(seconds * fps)):
        _, snap = smoother.update([FaceResult(box, peaked(emotion))], start + i / fps)
    return snap, start + seconds


def test_single_frame_spike_does_not_flip_dominant():
    s = MoodSmoother()
    snap, t = feed(s, "happy", 0.0, 5)
    assert snap.dominant == "happy"
    _, snap = s.update([FaceResult(BOX, peaked("angry", 0.99))], t)
    assert snap.dominant == "happy"
    snap, _ = feed(s, "happy", t + 0.1, 1)
    assert snap.dominant == "happy"


def test_sustained_change_flips_within_window():
    s = MoodSmoother()
    _, t = feed(s, "happy", 0.0, 5)
    snap, _ = feed(s, "sad", t, 8)
    assert snap.dominant == "sad"
    assert snap.trend == "falling"
    assert snap.valence < 0


def test_flip_needs_hold_time_no_flicker():
    s = MoodSmoother(min_hold_s=1.0)
    _, t = feed(s, "happy", 0.0, 5)
    dominants = []
    for i in range(60):  # alternating frames: neither emotion is sustained
        emo = "sad" if i % 2 else "happy"
        _, snap = s.update([FaceResult(BOX, peaked(emo))], t + i / 10)
        dominants.append(snap.dominant)
    assert set(dominants) == {"happy"}


def test_faces_keep_their_track_ids_and_count():
    s = MoodSmoother()
    a, b = Box(50, 50, 100, 100), Box(400, 60, 100, 100)
    faces, snap = s.update([FaceResult(a, peaked("happy")), FaceResult(b, peaked("sad"))], 0.0)
    ids = [f.track_id for f in faces]
    faces2, snap2 = s.update([FaceResult(Box(405, 62, 100, 100), peaked("sad")),
                              FaceResult(Box(52, 49, 100, 100), peaked("happy"))], 0.1)
    assert [f.track_id for f in faces2] == ids[::-1]
    assert snap2.face_count == 2


def test_no_face_for_a_while_gives_no_snapshot():
    s = MoodSmoother()
    s.update([FaceResult(BOX, peaked("happy"))], 0.0)
    _, snap = s.update([], 5.0)
    assert snap is None


def test_valence_arousal_follow_the_circumplex():
    assert valence_arousal(one_hot("happy"))[0] > 0.5
    assert valence_arousal(one_hot("sad"))[0] < -0.5
    assert valence_arousal(one_hot("sad"))[1] < 0 < valence_arousal(one_hot("angry"))[1]


def test_a_balanced_mood_reads_plus_zero_never_minus_zero():
    """A mixed mood's valence is often a hair below zero; the panel, the journal and the prompt show '+0.00'."""
    from emotune.gui.widgets.mood_panel import va_text

    assert [signed(v) for v in (-0.003, 0.0, -0.0, 0.004, -0.005001, 0.456)] == \
        ["+0.00", "+0.00", "+0.00", "+0.00", "-0.01", "+0.46"]
    tiny = dataclasses.replace(MoodSnapshot.manual_mood("neutral"), valence=-0.003, arousal=-0.0001)
    assert va_text(tiny, tiny.blend()).startswith("Valence +0.00 · Arousal +0.00 — ")


def test_snapshot_and_history_round_trip_json(tmp_path):
    s = MoodSmoother()
    hist = MoodHistory()
    for i in range(30):
        _, snap = s.update([FaceResult(BOX, peaked("happy" if i < 15 else "surprise"))], i * 0.5)
        hist.add(snap)
    path = tmp_path / "h.json"
    hist.save(path)
    again = MoodHistory.load(path)
    assert len(again) == len(hist) == 30
    for loaded, saved in zip(again, hist):   # every field of every snapshot survives the file
        assert loaded.dominant == saved.dominant and loaded.timestamp == saved.timestamp
        assert loaded.distribution == pytest.approx(saved.distribution, abs=1e-3) and loaded.trend == saved.trend
    assert again.latest.dominant == "surprise" and list(hist)[10].dominant == "happy"
    summary, original = again.summary(), hist.summary()
    assert summary.dominant == original.dominant and summary.samples == original.samples == 30
    assert summary.shares == pytest.approx(original.shares, abs=1e-3)
    assert abs(sum(summary.shares.values()) - 1) < 0.01
    # half the time happy, then surprise: those two hold nearly all of it, the rest almost nothing
    assert summary.shares["happy"] > 0.3 and summary.shares["surprise"] > 0.3
    assert summary.shares["happy"] + summary.shares["surprise"] > 0.75


def test_manual_mood():
    snap = MoodSnapshot.manual_mood("Sad")
    assert snap.dominant == "sad" and snap.manual and snap.valence < 0
    with pytest.raises(ValueError, match="expected one of"):
        MoodSnapshot.manual_mood("grumpy")
    assert set(snap.scores) == set(EMOTIONS)
