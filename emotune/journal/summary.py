"""What the journal says about the last days, condensed for the LLM analysis (only with the user's consent).

Why condensed: a small local model reads a few lines well and a table of thousands of snapshots badly; and
the less personal data goes into a prompt, the less can leak into an answer.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from emotune.core.emotions import EMOTIONS, signed, valence_arousal
from emotune.journal.queries import liked_by_mood, mood_by_day


@dataclass(frozen=True)
class DayMood:
    day: str            # ISO date, local
    dominant: str
    valence: float
    samples: int
    share: float = 0.0  # the dominant emotion's mean share that day


@dataclass(frozen=True)
class JournalSummary:
    days: float
    sessions: int
    samples: int
    shares: dict[str, float]            # mean distribution over the period ({} when nothing was recorded)
    valence: float
    arousal: float
    per_day: tuple[DayMood, ...]
    liked: dict[str, tuple[str, ...]]   # mood -> "Title — Artist", most liked first

    @property
    def is_empty(self) -> bool:
        return self.samples == 0 and not self.liked

    def to_json(self) -> dict:
        return asdict(self)

    def to_text(self) -> str:
        """A few plain lines for a prompt; says so when there is nothing to tell."""
        n = int(round(self.days))
        if self.is_empty:
            return f"No mood journal entries in the last {n} days."
        lines = []
        if self.samples:
            top = sorted(self.shares.items(), key=lambda kv: -kv[1])[:3]
            lines.append(f"Last {n} days ({self.sessions} sessions): mostly "
                         + ", ".join(f"{e} {p:.0%}" for e, p in top) + f"; mean valence {signed(self.valence)}.")
            if len(self.per_day) >= 2:
                first, last = self.per_day[0], self.per_day[-1]
                lines.append(f"Valence went from {signed(first.valence)} ({first.day}) to {signed(last.valence)} "
                             f"({last.day}); latest day mostly {last.dominant}.")
        for mood, tracks in self.liked.items():
            lines.append(f"Liked when {mood}: " + "; ".join(tracks[:3]) + ".")
        return "\n".join(lines)


def summarise(store, days: float = 7.0) -> JournalSummary:
    today = dt.date.today()
    first = today - dt.timedelta(days=max(int(days) - 1, 0))
    since = dt.datetime.combine(first, dt.time()).timestamp()
    per_day = mood_by_day(store, first, today)
    samples = sum(b.count for b in per_day)
    if samples:
        mean = [sum(b.distribution[i] * b.count for b in per_day) / samples for i in range(len(EMOTIONS))]
        valence, arousal = valence_arousal(mean)
        shares = {e: round(p, 3) for e, p in zip(EMOTIONS, mean)}
    else:
        valence = arousal = 0.0
        shares = {}
    sessions = store.query("SELECT COUNT(*) FROM sessions WHERE started_at >= ?", (since,))[0][0]
    liked = {mood: tuple(_song_line(t) for t in tracks)
             for mood, tracks in liked_by_mood(store, since, per_mood=5).items()}
    return JournalSummary(
        days=float(days), sessions=int(sessions), samples=samples, shares=shares,
        valence=round(valence, 3), arousal=round(arousal, 3),
        per_day=tuple(DayMood(b.label, b.dominant, round(b.valence, 3), b.count, round(max(b.distribution), 3))
                      for b in per_day),
        liked=liked,
    )


def _song_line(track) -> str:
    """"Title — Artist, Artist" (the catalog joins artists with '; ')."""
    title = track.title or track.track_id
    return f"{title} — {track.artist.replace('; ', ', ')}" if track.artist else title
