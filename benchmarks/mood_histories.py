"""Mood histories made the way a capture makes them (one snapshot a step, the distribution moving over time),
each with what its analysis must say about its shape, known from how it was made: the phases in order
("neutral", then "angry"), or one steady main emotion, or a mood set by hand. Used by bench_quality (>= 100
of them), bench_issue25 (the seven histories of issue 25 through `emotune analyze`) and the model tests."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from emotune.core.emotions import EMOTIONS
from emotune.core.history import MoodHistory
from emotune.core.mood import MoodSnapshot

KINDS = ("steady", "rising", "falling", "swapping", "mixed", "calm neutral", "several faces", "hand-set")


@dataclass(frozen=True)
class MadeHistory:
    """A history and what its first sentence must tell: `phases` in order (one: no change to tell) or, for
    a mood set by hand, `hand_set`."""

    name: str
    kind: str
    history: MoodHistory
    phases: tuple[str, ...]
    hand_set: str = ""

    def phase_told_right(self, summary: str) -> bool:
        """Whether a summary's first sentence tells the shape this history was made with."""
        first = summary.split(". ")[0].lower()
        if self.hand_set:
            return first.startswith(f"you set your mood to {self.hand_set}")
        from emotune.llm.values import LOOKED

        words = [LOOKED[e] for e in self.phases]
        if len(words) == 1:
            return " at first" not in first and words[0] in first
        at = 0
        for word in words:   # each phase's word after the one before
            at = first.find(word, at)
            if at < 0:
                return False
            at += len(word)
        return " at first" in first


def _dist(rng: np.random.Generator, shares: dict[str, float], noise: float) -> np.ndarray:
    vec = np.array([shares.get(e, 0.0) for e in EMOTIONS]) + 0.01
    vec = vec / vec.sum()
    return (1 - noise) * vec + noise * rng.dirichlet(np.full(len(EMOTIONS), 1.0))


def made(name: str, kind: str, shape: Callable[[float], dict[str, float]], phases: tuple[str, ...],
         seconds: float, step_s: float = 1.0, faces: int = 1, noise: float = 0.08, seed: int = 0,
         trend: str = "steady") -> MadeHistory:
    """A history of `seconds` whose shares at each moment are shape(x), x from 0 (start) to 1 (end), with a
    little noise; the smoother's trend and hold are given as a capture would give them."""
    rng = np.random.default_rng(seed)
    steps = max(1, round(seconds / step_s))
    snaps, lead, since = [], None, 0.0
    for k in range(steps + 1):
        dist = _dist(rng, shape(k / steps), noise)
        top = EMOTIONS[int(np.argmax(dist))]
        if top != lead:
            lead, since = top, k * step_s
        snaps.append(MoodSnapshot.from_distribution(dist, timestamp=k * step_s, trend=trend, face_count=faces,
                                                    held_s=k * step_s - since, window_s=min(30.0, k * step_s)))
    return MadeHistory(name, kind, MoodHistory(snaps, max_age_s=600), phases)


def hand_set(emotion: str, detected_before: str = "neutral", seed: int = 0) -> MadeHistory:
    """A user who set their mood by hand after a short detected stretch (the window's mood menu)."""
    base = made("", "", lambda x: {detected_before: 0.8}, (detected_before,), 20, seed=seed).history
    history = MoodHistory(list(base), max_age_s=600)
    for k in range(3):
        history.add(MoodSnapshot.manual_mood(emotion, timestamp=21.0 + k))
    return MadeHistory(f"hand-set {emotion}", "hand-set", history, (emotion,), hand_set=emotion)


def _trend_of(a: str, b: str) -> str:
    from emotune.core.emotions import VALENCE_AROUSAL

    dv = VALENCE_AROUSAL[b][0] - VALENCE_AROUSAL[a][0]
    return "rising" if dv > 0.3 else "falling" if dv < -0.3 else "steady"


def issue_histories() -> list[MadeHistory]:
    """The seven histories of issue 25: steady sad, steady happy, anger rising over two minutes (neutral for
    the first minute, angry for the second: 6 % of the face at first, 52 % over the whole), calm neutral, and
    three moods set by hand (sad, angry, fear)."""
    def rising_anger(x: float) -> dict[str, float]:
        if x < 0.5:
            return {"neutral": 0.9, "angry": 0.06}
        return {"angry": 0.5 + 0.9 * (x - 0.5), "neutral": 0.45 - 0.8 * (x - 0.5)}

    return [
        made("steady sad", "steady", lambda x: {"sad": 0.7, "neutral": 0.2}, ("sad",), 90, seed=1),
        made("steady happy", "steady", lambda x: {"happy": 0.75, "neutral": 0.15}, ("happy",), 90, seed=2),
        made("anger rising", "rising", rising_anger, ("neutral", "angry"), 120, seed=3, trend="steady"),
        made("calm neutral", "calm neutral", lambda x: {"neutral": 0.85}, ("neutral",), 120, step_s=2.0, seed=4),
        hand_set("sad", seed=5), hand_set("angry", seed=6), hand_set("fear", seed=7),
    ]


def varied_histories(seed: int = 25) -> list[MadeHistory]:
    """106 histories: 14 each steady, rising, falling, swapping, mixed and several faces (every emotion twice),
    8 calm neutral and 14 set by hand (every emotion twice)."""
    rng = np.random.default_rng(seed)
    out: list[MadeHistory] = []
    for rep in range(2):
        for i, e in enumerate(EMOTIONS):
            other = EMOTIONS[(i + 1 + rep * 2 + int(rng.integers(0, 3))) % len(EMOTIONS)]
            if other == e:
                other = EMOTIONS[(i + 4) % len(EMOTIONS)]
            sec = float(rng.choice([30, 60, 120, 180]))
            step = float(rng.choice([1.0, 2.0]))
            n = len(out)
            out.append(made(f"steady {e}", "steady", lambda x, e=e: {e: 0.7, "neutral": 0.15}, (e,), sec,
                            step, seed=n))
            out.append(made(f"{other} to more and more {e}", "rising",
                            lambda x, e=e, o=other: {o: 0.8, e: 0.05} if x < 0.45 else
                            {e: 0.45 + 0.8 * (x - 0.45), o: 0.45 - 0.7 * (x - 0.45)},
                            (other, e), sec, step, seed=n + 1, trend=_trend_of(other, e)))
            out.append(made(f"{e} fading into {other}", "falling",
                            lambda x, e=e, o=other: {e: 0.8 - 0.7 * x, o: 0.1 + 0.7 * x},
                            (e, other), sec, step, seed=n + 2, trend=_trend_of(e, other)))
            out.append(made(f"{e}, {other}, {e} again", "swapping",
                            lambda x, e=e, o=other: {o: 0.8} if 0.35 <= x < 0.68 else {e: 0.8},
                            (e, other, e), max(sec, 60.0), step, seed=n + 3))
            out.append(made(f"{e} mixed with {other}", "mixed",
                            lambda x, e=e, o=other: {e: 0.42, o: 0.36}, (e,), sec, step, noise=0.12, seed=n + 4))
            out.append(made(f"{e}, {2 + (i + rep) % 3} faces", "several faces",
                            lambda x, e=e: {e: 0.65, "neutral": 0.2}, (e,), sec, step, faces=2 + (i + rep) % 3,
                            seed=n + 5))
            out.append(hand_set(e, detected_before=other, seed=n + 6))
    for k in range(8):
        out.append(made(f"calm neutral {k + 1}", "calm neutral", lambda x: {"neutral": 0.85},
                        ("neutral",), float((30, 60, 120, 240)[k % 4]), 2.0, noise=0.04, seed=200 + k))
    return out
