"""The numbers the music uses, computed from what was measured, never written by the model.

A 135M model copied its worked example's "target_valence": 0.45 into every reply (sad, happy and angry alike),
and the recommender blends the analysis' targets into its own, so a happy listener's list was pulled toward
neutral. Here the targets follow the measured distribution (its mean valence/arousal, the expected point on
Russell's circumplex), the trend and the user's goal, on the same 0..1 scale as the recommender's own
`match_point` (0.5 + 0.45 x coordinate), so blending the two moves nothing that was not measured.
"""
from __future__ import annotations

from dataclasses import dataclass

from emotune.core.history import MoodSummary

SCALE = 0.45                    # the recommender's circumplex scale (emotune.music.lists.mood_target.SCALE)
TREND_STEP = 0.04               # match follows where the mood is heading, by this much valence
LIFT_VALENCE = 0.85             # lift heads for bright music ...
LIFT_ENERGY = 0.55              # ... of moderate energy (the iso principle: from where the mood is)
LIFT_SHARE = {"rising": 0.75, "steady": 0.6, "falling": 0.45}   # how far a list goes: less when it is falling
LIFT_ENERGY_SHARE = 0.5


@dataclass(frozen=True)
class MusicTargets:
    """Where the music should sit: valence (dark 0 .. bright 1) and energy (calm 0 .. energetic 1)."""

    valence: float
    energy: float

    def words(self) -> str:
        """The music in words, for the prompt: the model says why it fits, it does not choose it."""
        bright = "bright" if self.valence >= 0.62 else "dark" if self.valence < 0.38 else "mellow"
        energy = "energetic" if self.energy >= 0.62 else "calm" if self.energy < 0.42 else "moderate"
        return f"{bright} and {energy}"


def music_targets(summary: MoodSummary, goal: str) -> MusicTargets:
    """Targets for the music from the measured history. "match" mirrors the mean point and leans a little
    the way the trend goes; "lift" is where the list should end, a step toward bright, moderate music that
    is shorter when the mood is falling (meet it first) and longer when it is already rising."""
    v = 0.5 + SCALE * summary.valence
    e = 0.5 + SCALE * summary.arousal
    if goal == "lift":
        if v < LIFT_VALENCE:
            v += LIFT_SHARE.get(summary.trend, LIFT_SHARE["steady"]) * (LIFT_VALENCE - v)
        e += LIFT_ENERGY_SHARE * (LIFT_ENERGY - e)
    else:
        v += {"rising": TREND_STEP, "falling": -TREND_STEP}.get(summary.trend, 0.0)
    return MusicTargets(round(_unit(v), 3), round(_unit(e), 3))


def _unit(x: float) -> float:
    return min(1.0, max(0.0, x))
