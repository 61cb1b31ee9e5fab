"""Read-side views of the journal: mood over a day, mood per day over weeks, tracks liked per mood.

Aggregation runs in SQL (GROUP BY over the indexed timestamp) so a year of snapshots still charts quickly.
Days are local calendar days, computed by SQLite's 'localtime' so daylight-saving changes fall right.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emotune.core.emotions import EMOTIONS
from emotune.journal.feedback import LIKE

_AVG = ", ".join(f"AVG({e})" for e in EMOTIONS)


@dataclass(frozen=True)
class MoodBin:
    """The mean mood over one stretch of time (a bin of a day, or a whole day)."""

    start: float                        # epoch seconds (bins) or local midnight (days)
    label: str                          # "14:30" or "2026-11-25"
    count: int                          # snapshots in the bin
    distribution: tuple[float, ...]     # mean probabilities, FER order
    valence: float
    arousal: float

    @property
    def dominant(self) -> str:
        return EMOTIONS[max(range(len(EMOTIONS)), key=self.distribution.__getitem__)]


@dataclass(frozen=True)
class LikedTrack:
    track_id: str
    title: str
    artist: str
    likes: int
    last_liked: float


def local_midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time()).timestamp()


def mood_over_day(store, day: dt.date, bin_minutes: int = 30) -> list[MoodBin]:
    """Mean mood per `bin_minutes` of one local day; bins without snapshots are left out."""
    start = local_midnight(day)
    end = local_midnight(day + dt.timedelta(days=1))
    width = bin_minutes * 60.0
    rows = store.query(
        f"SELECT CAST((ts - ?) / ? AS INTEGER) AS b, COUNT(*), AVG(valence), AVG(arousal), {_AVG} "
        "FROM snapshots WHERE ts >= ? AND ts < ? GROUP BY b ORDER BY b", (start, width, start, end))
    out = []
    for b, count, val, aro, *dist in rows:
        t = start + b * width
        out.append(MoodBin(t, dt.datetime.fromtimestamp(t).strftime("%H:%M"), count, tuple(dist), val, aro))
    return out


def mood_by_day(store, first: dt.date, last: dt.date) -> list[MoodBin]:
    """Mean mood per local day from `first` to `last` inclusive; days without snapshots are left out."""
    rows = store.query(
        f"SELECT date(ts, 'unixepoch', 'localtime') AS d, COUNT(*), AVG(valence), AVG(arousal), {_AVG} "
        "FROM snapshots WHERE ts >= ? AND ts < ? GROUP BY d ORDER BY d",
        (local_midnight(first) - 86400, local_midnight(last + dt.timedelta(days=1)) + 86400))
    out = []
    for d, count, val, aro, *dist in rows:
        day = dt.date.fromisoformat(d)
        if first <= day <= last:
            out.append(MoodBin(local_midnight(day), d, count, tuple(dist), val, aro))
    return out


def liked_by_mood(store, since: float | None = None, per_mood: int = 20) -> dict[str, list[LikedTrack]]:
    """The tracks liked in each mood, most liked (then most recent) first."""
    rows = store.query(
        "SELECT mood, track_id, MAX(title), MAX(artist), COUNT(*), MAX(ts) FROM feedback "
        "WHERE kind = ? AND ts >= ? GROUP BY mood, track_id ORDER BY mood, COUNT(*) DESC, MAX(ts) DESC",
        (LIKE, -1e18 if since is None else since))
    out: dict[str, list[LikedTrack]] = {}
    for mood, track_id, title, artist, likes, last in rows:
        bucket = out.setdefault(mood, [])
        if len(bucket) < per_mood:
            bucket.append(LikedTrack(track_id, title, artist, likes, last))
    return out
