"""When auto mode fetches new tracks: only after the mood changed AND held, and not too often.

The core's smoother already has hysteresis on the dominant emotion; this adds the product's rule on top: a new
list after the new mood has held `min_hold_s`, never sooner than `min_gap_s` after the last list. A glance
away or a sneeze never reshuffles the music.
"""
from __future__ import annotations

from dataclasses import dataclass

from emotune.core.mood import MoodSnapshot


@dataclass
class AutoRefreshPolicy:
    min_hold_s: float = 8.0
    min_gap_s: float = 30.0
    _last_mood: str | None = None
    _last_time: float | None = None

    def should_refresh(self, mood: MoodSnapshot, now: float) -> bool:
        """True when tracks should be fetched for `mood` now (`now`: monotonic seconds)."""
        if mood.manual or mood.dominant == self._last_mood:
            return False
        needed_hold = min(self.min_hold_s, 3.0) if self._last_mood is None else self.min_hold_s  # first list sooner
        if mood.held_s < needed_hold:
            return False
        return self._last_time is None or now - self._last_time >= self.min_gap_s

    def refreshed(self, mood: MoodSnapshot, now: float) -> None:
        """Records a list fetched for `mood` (by auto mode or by the user)."""
        self._last_mood, self._last_time = mood.dominant, now

    def reset(self) -> None:
        self._last_mood = self._last_time = None
