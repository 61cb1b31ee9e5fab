"""Rolling mood: per-face tracks, time-based smoothing with hysteresis, and the MoodSnapshot value.

Why smoothing: a frame-level classifier flickers (a blink reads as "sad", a half-turned head as "fear").
Each face track keeps an exponential moving average whose weight depends on elapsed time, not frame count,
so the mood means the same at 5 and at 30 classified frames per second. The dominant emotion changes only
when a challenger leads by `switch_margin` for `min_hold_s` seconds.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

import numpy as np

from emotune.core.emotions import EMOTIONS, N_EMOTIONS, as_distribution, index_of, one_hot, valence_arousal
from emotune.core.types import Box, FaceResult

TRENDS = ("rising", "steady", "falling")
# When one emotion may stand for the mood alone (the headline names it): it holds at least SINGLE_SHARE of the
# distribution and less than OPPOSED_SHARE sits on emotions of the opposite valence. Otherwise the mood is
# mixed and is named by its two strongest emotions. Why: a group of one happy and two sad faces averages to
# "happy 32 %" and a valence of about 0; naming it "Happy" contradicts both the number and the valence words.
SINGLE_SHARE = 0.5
OPPOSED_SHARE = 0.25
_PLEASANT = ("happy", "surprise")
_UNPLEASANT = ("angry", "disgust", "fear", "sad")


@dataclass(frozen=True)
class MoodBlend:
    """What a mood is made of: one emotion when it carries the mood alone, else the two strongest (strongest
    first), each with its share of the distribution."""

    emotions: tuple[str, ...]
    shares: tuple[float, ...]

    @property
    def mixed(self) -> bool:
        return len(self.emotions) > 1


def blend_of(distribution: Sequence[float], dominant: str | None = None) -> MoodBlend:
    """The blend of a distribution (FER order). `dominant` (the smoothed, held emotion) names a single mood when
    it qualifies, and leads a mixed one when it is one of the two strongest."""
    values = [max(0.0, float(p)) for p in distribution]   # plain Python: this runs for every shown mood
    if len(values) != N_EMOTIONS:
        raise ValueError(f"expected {N_EMOTIONS} scores, got {len(values)}")
    total = sum(values)
    shares = {e: (v / total if total > 0 else 1.0 / N_EMOTIONS) for e, v in zip(EMOTIONS, values)}
    lead = dominant if dominant in shares else max(EMOTIONS, key=shares.__getitem__)
    side = _UNPLEASANT if lead in _PLEASANT else _PLEASANT if lead in _UNPLEASANT else ()
    if shares[lead] >= SINGLE_SHARE and sum(shares[e] for e in side) < OPPOSED_SHARE:
        return MoodBlend((lead,), (shares[lead],))
    top = sorted(EMOTIONS, key=lambda e: -shares[e])[:2]
    if lead in top:
        top = [lead] + [e for e in top if e != lead]
    return MoodBlend(tuple(top), tuple(shares[e] for e in top))


@dataclass(frozen=True)
class MoodSnapshot:
    """The mood the rest of the app consumes (music, analysis, journal, GUI).

    distribution: smoothed probabilities in FER order; confidence: the dominant emotion's share;
    trend: how valence moved over the window; valence/arousal in [-1, 1]; held_s: how long the dominant
    emotion has held; manual: True when the user set the mood by hand.
    """

    dominant: str
    distribution: tuple[float, ...]
    confidence: float
    trend: str
    valence: float
    arousal: float
    window_s: float
    face_count: int
    held_s: float = 0.0
    timestamp: float = 0.0
    manual: bool = False

    @classmethod
    def manual_mood(cls, emotion: str, timestamp: float = 0.0) -> MoodSnapshot:
        """A snapshot for a mood the user chose when detection fails or they want to override it."""
        dist = one_hot(emotion)
        v, a = valence_arousal(dist)
        return cls(EMOTIONS[index_of(emotion)], tuple(dist), 1.0, "steady", v, a, 0.0, 0, 0.0, timestamp, True)

    @classmethod
    def from_distribution(cls, dist: Sequence[float], **extra) -> MoodSnapshot:
        """A snapshot whose dominant, confidence, valence and arousal follow from one distribution."""
        vec = as_distribution(dist)
        v, a = valence_arousal(vec)
        top = int(np.argmax(vec))
        fields = dict(trend="steady", window_s=0.0, face_count=1) | extra
        return cls(EMOTIONS[top], tuple(float(p) for p in vec), float(vec[top]), valence=v, arousal=a, **fields)

    def blend(self) -> MoodBlend:
        """One emotion, or the two of a mixed mood (see SINGLE_SHARE); a hand-set mood is always one."""
        return blend_of(self.distribution, self.dominant)

    @property
    def scores(self) -> dict[str, float]:
        return dict(zip(EMOTIONS, self.distribution))

    def to_json(self) -> dict:
        d = asdict(self)
        d["distribution"] = {e: round(p, 4) for e, p in zip(EMOTIONS, self.distribution)}
        for key in ("confidence", "valence", "arousal", "window_s", "held_s", "timestamp"):
            d[key] = round(d[key], 4)
        return d

    @classmethod
    def from_json(cls, d: dict) -> MoodSnapshot:
        dist = d["distribution"]
        vec = as_distribution(dist)
        return cls(
            dominant=EMOTIONS[index_of(d["dominant"])],
            distribution=tuple(float(p) for p in vec),
            confidence=float(d.get("confidence", max(vec))),
            trend=d.get("trend", "steady") if d.get("trend") in TRENDS else "steady",
            valence=float(d.get("valence", valence_arousal(vec)[0])),
            arousal=float(d.get("arousal", valence_arousal(vec)[1])),
            window_s=float(d.get("window_s", 0.0)),
            face_count=int(d.get("face_count", 1)),
            held_s=float(d.get("held_s", 0.0)),
            timestamp=float(d.get("timestamp", 0.0)),
            manual=bool(d.get("manual", False)),
        )


@dataclass
class _Track:
    track_id: int
    box: Box
    last_seen: float
    ema: np.ndarray
    ema_time: float | None = None


@dataclass
class FaceTracker:
    """Matches face boxes across frames by overlap, so each person keeps one smoothed distribution."""

    min_iou: float = 0.3
    max_age_s: float = 2.0
    _tracks: dict[int, _Track] = field(default_factory=dict)
    _next_id: int = 0

    def assign(self, boxes: Sequence[Box], now: float) -> list[int]:
        """Track ids for `boxes` (same order): greedy best-overlap matching, new ids for new faces."""
        self._expire(now)
        pairs = sorted(
            ((box.iou(t.box), i, tid) for i, box in enumerate(boxes) for tid, t in self._tracks.items()),
            reverse=True,
        )
        ids: list[int | None] = [None] * len(boxes)
        taken: set[int] = set()
        for overlap, i, tid in pairs:
            if overlap < self.min_iou:
                break
            if ids[i] is None and tid not in taken:
                ids[i] = tid
                taken.add(tid)
        for i, box in enumerate(boxes):
            if ids[i] is None:
                ids[i] = self._next_id
                self._tracks[self._next_id] = _Track(self._next_id, box, now, np.full(N_EMOTIONS, 1 / N_EMOTIONS))
                self._next_id += 1
            track = self._tracks[ids[i]]
            track.box, track.last_seen = box, now
        return [int(i) for i in ids]

    def track(self, track_id: int) -> _Track:
        return self._tracks[track_id]

    def live_tracks(self, now: float) -> list[_Track]:
        self._expire(now)
        return list(self._tracks.values())

    def reset(self) -> None:
        self._tracks.clear()

    def _expire(self, now: float) -> None:
        for tid in [tid for tid, t in self._tracks.items() if now - t.last_seen > self.max_age_s]:
            del self._tracks[tid]


@dataclass
class MoodSmoother:
    """Turns per-frame face results into a steady MoodSnapshot.

    time_constant_s: EMA time constant per face; window_s: how far back trend and history look;
    switch_margin / min_hold_s: the hysteresis on the dominant emotion.
    """

    time_constant_s: float = 2.5
    window_s: float = 30.0
    switch_margin: float = 0.08
    min_hold_s: float = 1.0
    tracker: FaceTracker = field(default_factory=FaceTracker)
    _dominant: str | None = None
    _dominant_since: float = 0.0
    _challenger: str | None = None
    _challenger_since: float = 0.0
    _history: deque = field(default_factory=deque)   # (time, valence) over the last `window_s`

    def update(self, faces: Iterable[FaceResult], now: float) -> tuple[list[FaceResult], MoodSnapshot | None]:
        """Feed one frame's classified faces (at time `now`, seconds). Returns the faces with track ids
        and the new snapshot (None while no face has been seen in the last `max_age_s`)."""
        faces = list(faces)
        ids = self.tracker.assign([f.box for f in faces], now)
        tracked = []
        for face, tid in zip(faces, ids):
            track = self.tracker.track(tid)
            if track.ema_time is None:
                alpha = 1.0
            else:
                alpha = 1.0 - math.exp(-max(now - track.ema_time, 1e-3) / self.time_constant_s)
            track.ema = (1 - alpha) * track.ema + alpha * as_distribution(face.scores)
            track.ema_time = now
            tracked.append(FaceResult(face.box, face.scores, tid))
        return tracked, self.snapshot(now)

    def snapshot(self, now: float) -> MoodSnapshot | None:
        """The current mood from the live tracks, or None when nobody is in view."""
        tracks = self.tracker.live_tracks(now)
        if not tracks:
            return None
        dist = np.mean([t.ema for t in tracks], axis=0)
        v, a = valence_arousal(dist)
        self._history.append((now, v))   # the trend needs only the valence of each moment
        while self._history and now - self._history[0][0] > self.window_s:
            self._history.popleft()
        dominant = self._apply_hysteresis(dist, now)
        return MoodSnapshot(
            dominant=dominant,
            distribution=tuple(float(p) for p in dist),
            confidence=float(dist[index_of(dominant)]),
            trend=self._trend(),
            valence=v,
            arousal=a,
            window_s=float(now - self._history[0][0]),
            face_count=len(tracks),
            held_s=float(now - self._dominant_since),
            timestamp=now,
        )

    def reset(self) -> None:
        """Forget everything (a new source, or the user asked for a fresh start)."""
        self.tracker.reset()
        self._history.clear()
        self._dominant = self._challenger = None

    def _apply_hysteresis(self, dist: np.ndarray, now: float) -> str:
        top = EMOTIONS[int(np.argmax(dist))]
        if self._dominant is None:
            self._dominant, self._dominant_since = top, now
            return top
        lead = dist[index_of(top)] - dist[index_of(self._dominant)]
        if top == self._dominant or lead < self.switch_margin:
            self._challenger = None
            return self._dominant
        if self._challenger != top:
            self._challenger, self._challenger_since = top, now
        if now - self._challenger_since >= self.min_hold_s:
            self._dominant, self._dominant_since, self._challenger = top, now, None
        return self._dominant

    def _trend(self) -> str:
        if len(self._history) < 6:
            return "steady"
        third = max(1, len(self._history) // 3)
        items = list(self._history)
        early = np.mean([v for _, v in items[:third]])
        late = np.mean([v for _, v in items[-third:]])
        if late - early > 0.1:
            return "rising"
        if early - late > 0.1:
            return "falling"
        return "steady"
