"""The shape of a captured mood window: which emotion led when (phases), how each emotion's share moved from
the start of the window to its end, how long the current lead has held, and whether the mood was set by hand.

Why: the smoother's trend looks at its last seconds only, so a window that was neutral for a minute and angry
for the next read as "steady". The analysis' first sentence is written from this shape instead, with the real
durations ("3 seconds" for a photo shown for 3). Pure Python over the snapshots' distributions: no Qt, no model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from emotune.core.emotions import EMOTIONS

MIN_PHASE_SHARE = 0.2     # a phase must last this share of the window (a blink is no phase)
MIN_PHASE_S = 5.0         # ... and at least this long
MAX_PHASES = 3            # a window told as more than "first X, then Y, then Z" is told as mixed
CHANGE = 0.15             # a share that moved this much between the window's first and last third is a change
LOOKED = {"angry": "angry", "disgust": "disgusted", "fear": "afraid", "happy": "happy", "sad": "sad",
          "surprise": "surprised", "neutral": "neutral"}


@dataclass(frozen=True)
class Phase:
    """A stretch of the window in which one emotion led."""

    emotion: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class WindowShape:
    """What happened over the window, in the order it happened (see the module's docstring).

    changes: each emotion's share in the last third minus its share in the first third (-1..1);
    main: the emotion leading at the end; main_held_s: how long it has led without a break."""

    duration_s: float
    phases: tuple[Phase, ...]
    changes: dict[str, float] = field(default_factory=dict)
    main: str = "neutral"
    main_held_s: float = 0.0
    manual: bool = False

    @property
    def changed(self) -> bool:
        """True when another emotion led earlier in the window (phases) than at its end."""
        return not self.manual and len(self.phases) > 1

    @property
    def first(self) -> str:
        return self.phases[0].emotion if self.phases else self.main

    def rising(self, emotion: str) -> bool:
        return self.changes.get(emotion, 0.0) >= CHANGE

    def falling(self, emotion: str) -> bool:
        return self.changes.get(emotion, 0.0) <= -CHANGE

    def to_json(self) -> dict:
        return {"duration_s": round(self.duration_s, 1), "main": self.main, "main_held_s": round(self.main_held_s, 1),
                "manual": self.manual, "changes": {e: round(c, 3) for e, c in self.changes.items()},
                "phases": [{"emotion": p.emotion, "start_s": round(p.start_s, 1), "end_s": round(p.end_s, 1)}
                           for p in self.phases]}

    @classmethod
    def from_json(cls, d: dict) -> WindowShape:
        phases = tuple(Phase(str(p["emotion"]), float(p["start_s"]), float(p["end_s"])) for p in d.get("phases", ()))
        return cls(float(d["duration_s"]), phases, {str(e): float(c) for e, c in d.get("changes", {}).items()},
                   str(d.get("main", "neutral")), float(d.get("main_held_s", 0.0)), bool(d.get("manual", False)))


def window_shape(times: Sequence[float], distributions: Sequence[Sequence[float]], manual: bool = False) -> WindowShape:
    """The shape of a window from its snapshots' times (seconds) and distributions (FER order)."""
    if not times:
        return WindowShape(0.0, (), manual=manual)
    t0 = times[0]
    duration = max(0.0, times[-1] - t0)
    leaders = [EMOTIONS[max(range(len(d)), key=d.__getitem__)] for d in distributions]
    # the runs of one leader, each reaching to the next run's first snapshot
    runs: list[list] = []
    for k, (t, lead) in enumerate(zip(times, leaders)):
        if runs and runs[-1][0] == lead:
            runs[-1][2] = t
        else:
            if runs:
                runs[-1][2] = t
            runs.append([lead, t, t])
    main = leaders[-1]
    held = duration - (runs[-1][1] - t0) if runs else 0.0
    phases = _merged(runs, duration)
    if len(phases) > MAX_PHASES:   # many short swaps: told by its share changes, not as phases
        top = max(EMOTIONS, key=lambda e: sum(p.duration_s for p in phases if p.emotion == e))
        phases = (Phase(top, t0, times[-1]),)
    changes = _changes(times, distributions)
    return WindowShape(duration, tuple(Phase(p.emotion, p.start_s - t0, p.end_s - t0) for p in phases), changes,
                       main, max(0.0, held), manual)


def _merged(runs: list[list], duration: float) -> tuple[Phase, ...]:
    """Runs shorter than a phase go to the neighbour before them (the first to the one after); then runs of
    the same emotion side by side become one."""
    floor = max(MIN_PHASE_S, MIN_PHASE_SHARE * duration)
    kept: list[list] = []
    for lead, start, end in runs:
        if kept and (end - start < floor or kept[-1][0] == lead):
            kept[-1][2] = end
        else:
            kept.append([lead, start, end])
    if len(kept) > 1 and kept[0][2] - kept[0][1] < floor:
        kept[1][1] = kept[0][1]
        kept.pop(0)
    out: list[Phase] = []
    for lead, start, end in kept:
        if out and out[-1].emotion == lead:
            out[-1] = Phase(lead, out[-1].start_s, end)
        else:
            out.append(Phase(lead, start, end))
    return tuple(out)


def _changes(times: Sequence[float], distributions: Sequence[Sequence[float]]) -> dict[str, float]:
    n = len(times)
    if n < 3:
        return {e: 0.0 for e in EMOTIONS}
    third = max(1, n // 3)

    def mean(rows: Sequence[Sequence[float]], i: int) -> float:
        return sum(r[i] for r in rows) / len(rows)

    early, late = distributions[:third], distributions[-third:]
    return {e: mean(late, i) - mean(early, i) for i, e in enumerate(EMOTIONS)}


def span_words(seconds: float) -> str:
    """A span as a listener says it, true to the measurement: "3 seconds", "about 40 seconds", "about 3
    minutes", "the last minute"."""
    if seconds < 10:
        n = max(1, round(seconds))
        return f"{n} second" if n == 1 else f"{n} seconds"
    if seconds < 90:
        return f"about {round(seconds / 10) * 10} seconds"
    return f"about {round(seconds / 60)} minutes"


def last_span_words(seconds: float) -> str:
    """"the last minute", "the last 40 seconds": how the end of a window is named ("over the last minute")."""
    if 50 <= seconds < 90:
        return "the last minute"
    words = span_words(seconds).replace("about ", "")
    return "the last second" if words == "1 second" else f"the last {words}"


def describe(shape: WindowShape, hand_set: str = "") -> str:
    """The shape in one sentence, for the analysis' first sentence: "You looked neutral at first, then more
    and more angry over the last minute." `hand_set`: the mood the user chose ("You set your mood to sad.")."""
    if shape.manual:
        return f"You set your mood to {hand_set or shape.main}."
    look = LOOKED.get
    if not shape.changed:
        main = shape.first
        span = span_words(shape.duration_s)
        if shape.rising(main):
            return f"You looked more and more {look(main, main)} over {span}."
        if shape.falling(main):
            return f"You looked {look(main, main)} for {span}, less so towards the end."
        return f"You looked {look(main, main)} for {span}, steadily."
    first, last = shape.phases[0], shape.phases[-1]
    middle = f", then {look(shape.phases[1].emotion)}" if len(shape.phases) == 3 else ""
    how = "more and more " if shape.rising(last.emotion) else ""
    return (f"You looked {look(first.emotion)} at first{middle}, then {how}{look(last.emotion)} "
            f"over {last_span_words(last.duration_s)}.")
