"""A mood history: the snapshots of the last minutes and the figures the analysis and journal need.

JSON format (what `MoodHistory.to_json` writes and `emotune analyze --history` reads):
{"format": "emotune.mood-history", "version": 1, "snapshots": [MoodSnapshot.to_json(), ...]}
"""
from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from emotune.core.emotions import EMOTIONS, valence_arousal
from emotune.core.mood import MoodSnapshot
from emotune.core.window_shape import WindowShape, window_shape

FORMAT = "emotune.mood-history"
VERSION = 1


class MoodHistoryError(ValueError):
    """A mood history that cannot be read: not JSON, not this format, or values out of range. The message
    names the file (or "mood history") and says which, for the user."""


@dataclass(frozen=True)
class MoodSummary:
    """What was measured over a history, nothing more: the input of the analysis."""

    shares: dict[str, float]        # mean distribution over the period
    dominant: str
    dominant_held_s: float          # how long the latest dominant emotion has held
    trend: str
    valence: float
    arousal: float
    face_count: int                 # most faces seen at once
    duration_s: float
    samples: int
    manual: bool = False
    shape: WindowShape | None = None   # phases and share changes over the window (None: not known)


class MoodHistory:
    """Snapshots kept for `max_age_s` seconds (the 'last minutes' the analysis looks at)."""

    def __init__(self, snapshots: Iterable[MoodSnapshot] = (), max_age_s: float = 300.0) -> None:
        self.max_age_s = max_age_s
        self._items: deque[MoodSnapshot] = deque()
        for snap in snapshots:
            self.add(snap)

    def add(self, snapshot: MoodSnapshot) -> None:
        self._items.append(snapshot)
        newest = snapshot.timestamp
        while self._items and newest - self._items[0].timestamp > self.max_age_s:
            self._items.popleft()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    @property
    def latest(self) -> MoodSnapshot | None:
        return self._items[-1] if self._items else None

    def summary(self) -> MoodSummary | None:
        """Shares per emotion, dominant emotion and its hold, trend and valence/arousal; None if empty."""
        if not self._items:
            return None
        last = self._items[-1]
        items = self._current()
        dists = np.array([s.distribution for s in items])
        mean = dists.mean(axis=0)
        v, a = valence_arousal(mean)
        return MoodSummary(
            shares={e: round(float(p), 3) for e, p in zip(EMOTIONS, mean)},
            dominant=last.dominant,
            dominant_held_s=round(last.held_s, 1),
            trend=last.trend,
            valence=round(v, 3),
            arousal=round(a, 3),
            face_count=max(s.face_count for s in items),
            duration_s=round(last.timestamp - items[0].timestamp, 1),
            samples=len(items),
            manual=last.manual,
            shape=self.shape(),
        )

    def shape(self) -> WindowShape:
        """The window's phases and share changes (emotune.core.window_shape)."""
        items = self._current()
        if not items:
            return WindowShape(0.0, ())
        return window_shape([s.timestamp for s in items], [s.distribution for s in items], manual=items[-1].manual)

    def _current(self) -> list[MoodSnapshot]:
        """The snapshots the summary is of: all of them, or, when the latest mood was set by hand, the hand-set
        ones since it was chosen (the mood the user chose, not a blend with what the camera saw before)."""
        items = list(self._items)
        if not items or not items[-1].manual:
            return items
        k = len(items)
        while k > 0 and items[k - 1].manual and items[k - 1].dominant == items[-1].dominant:
            k -= 1
        return items[k:]

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "snapshots": [s.to_json() for s in self._items]}

    @classmethod
    def from_json(cls, data: dict | list, max_age_s: float = float("inf"), source: str = "mood history"
                  ) -> MoodHistory:
        """Reads the format above; a bare list of snapshots or a single snapshot are accepted too.
        MoodHistoryError for anything else (wrong shapes, unknown emotions, values that are not numbers)."""
        if isinstance(data, dict) and "snapshots" in data:
            version = data.get("version", VERSION)
            if not isinstance(version, int) or isinstance(version, bool):
                raise MoodHistoryError(f"{source} is not an EmoTune mood history (version {version!r})")
            if version > VERSION:
                raise MoodHistoryError(f"{source} has version {version}, newer than this EmoTune reads")
            items = data["snapshots"]
        elif isinstance(data, dict):
            items = [data]
        else:
            items = data
        if not isinstance(items, list) or not all(isinstance(d, dict) for d in items):
            raise MoodHistoryError(f"{source} is not an EmoTune mood history (expected a list of snapshots)")
        try:
            snapshots = [MoodSnapshot.from_json(d) for d in items]
        except (KeyError, TypeError, ValueError, IndexError, OverflowError, AttributeError) as exc:
            raise MoodHistoryError(f"{source} is not an EmoTune mood history ({type(exc).__name__}: "
                                   f"{str(exc)[:120]})") from None
        for snap in snapshots:
            numbers = (*snap.distribution, snap.confidence, snap.valence, snap.arousal, snap.window_s, snap.held_s,
                       snap.timestamp)
            if not np.isfinite(numbers).all():
                raise MoodHistoryError(f"{source} holds values that are not numbers (NaN or infinity)")
        return cls(snapshots, max_age_s=max_age_s)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> MoodHistory:
        """Reads a file `save` wrote; MoodHistoryError saying why when it cannot (unreadable, not UTF-8, not
        JSON, not a mood history)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise MoodHistoryError(f"cannot read {path.name}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise MoodHistoryError(f"{path.name} is not a text file in UTF-8") from None
        except json.JSONDecodeError as exc:
            raise MoodHistoryError(f"{path.name} is not JSON ({exc.msg} at line {exc.lineno})") from None
        except RecursionError:
            raise MoodHistoryError(f"{path.name} is nested too deeply to be a mood history") from None
        return cls.from_json(data, source=path.name)
