"""The values that cross into and out of the analysis: what was measured (AnalysisRequest) and what the
app shows and uses for music (Analysis). Plain frozen data, safe to hand between threads."""
from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field

from emotune.core.history import MoodSummary
# LOOKED: "You looked mostly ...", the adjective for each FER emotion; the window's sentences use it too
from emotune.core.window_shape import LOOKED  # noqa: F401 - re-exported for the llm modules
from emotune.core.window_shape import span_words as _span_words

GOALS = ("match", "lift")
SOURCES = ("llm", "llm-retry", "fallback")

# The fixed set of mood labels the model must choose from (and the fallback maps to).
MOOD_LABELS: tuple[str, ...] = (
    "happy", "content", "calm", "neutral", "surprised", "tense", "anxious", "angry", "sad",
)

def part_of_day(hour: int) -> str:
    """A coarse label for the hour: the prompt gets this, not the exact clock time."""
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def span_words(seconds: float) -> str:
    """A measured span as a listener says it: "3 seconds", "about 40 seconds", "about 3 minutes" (the prompt
    gives these, and the grounding check accepts exactly these numbers). See emotune.core.window_shape."""
    return _span_words(seconds)


SECOND_SHARE = 0.15       # a second emotion this common is named in the facts (and must be in the summary)


def top_emotion(summary: MoodSummary) -> str:
    """The emotion with the largest share over the history (the dominant one of the last moments may differ)."""
    return max(summary.shares, key=summary.shares.get) if summary.shares else summary.dominant


def second_emotion(summary: MoodSummary) -> tuple[str, float] | None:
    """The runner-up emotion when it held at least SECOND_SHARE of the time."""
    ranked = sorted(summary.shares.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[1][1] >= SECOND_SHARE:
        return ranked[1]
    return None


MAX_JOURNAL_DAYS = 3   # earlier days the prompt may mention: ~12 tokens each, and a small model reads few well


@dataclass(frozen=True)
class JournalDay:
    """One earlier day from the user's mood journal, as the prompt states it (only with the user's consent):
    how many days ago, the emotion seen most that day, its share and the day's mean valence."""

    days_ago: int
    dominant: str
    share: float
    valence: float

    def __post_init__(self) -> None:
        if self.days_ago < 1:
            raise ValueError(f"days_ago must be 1 or more (earlier days only), not {self.days_ago}")

    @property
    def when(self) -> str:
        return "yesterday" if self.days_ago == 1 else f"{self.days_ago} days ago"


@dataclass(frozen=True)
class AnalysisRequest:
    """Everything the analysis may use. Nothing else about the user reaches the model.

    catalog_genres: the music catalog's genre list (the only genres the result may name);
    goal: "match" keeps the mood, "lift" moves it gently towards pleasant;
    journal: earlier days from the mood journal (empty unless the user allowed it), newest first, at most
    MAX_JOURNAL_DAYS of them.
    """

    summary: MoodSummary
    hour: int
    preferred_genres: tuple[str, ...] = ()
    preferred_languages: tuple[str, ...] = ()
    goal: str = "match"
    catalog_genres: tuple[str, ...] = ()
    journal: tuple[JournalDay, ...] = ()

    def __post_init__(self) -> None:
        if self.goal not in GOALS:
            raise ValueError(f"goal must be one of {', '.join(GOALS)}, not {self.goal!r}")
        if not 0 <= self.hour <= 23:
            raise ValueError(f"hour must be 0..23, not {self.hour}")
        for name in ("preferred_genres", "preferred_languages", "catalog_genres"):
            object.__setattr__(self, name, tuple(str(g).strip() for g in getattr(self, name) if str(g).strip()))
        days = sorted({d.days_ago: d for d in self.journal}.values(), key=lambda d: d.days_ago)
        object.__setattr__(self, "journal", tuple(days[:MAX_JOURNAL_DAYS]))

    @classmethod
    def now(cls, summary: MoodSummary, **kwargs) -> AnalysisRequest:
        """A request stamped with the current local hour."""
        return cls(summary=summary, hour=_dt.datetime.now().hour, **kwargs)

    @property
    def time_of_day(self) -> str:
        return part_of_day(self.hour)

    @property
    def offered_genres(self) -> tuple[str, ...]:
        """The genres the result may contain: the catalog's list, or the user's own if there is no catalog."""
        return self.catalog_genres or self.preferred_genres


@dataclass(frozen=True)
class Analysis:
    """The analysis the app shows. `source` says how it was made: "llm" (first reply valid), "llm-retry"
    (second reply valid) or "fallback" (computed from the numbers; `reason` says why)."""

    summary: str
    mood: str
    target_valence: float
    target_energy: float
    search_phrases: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    source: str = "fallback"
    reason: str = ""
    model: str = ""
    elapsed_s: float = 0.0
    cancelled: bool = False     # a newer request or the caller stopped it; the GUI drops such results
    notes: tuple[str, ...] = field(default_factory=tuple)   # repairs made to the model's reply

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {self.source!r}")
        if self.mood not in MOOD_LABELS:
            raise ValueError(f"mood must be one of {MOOD_LABELS}, not {self.mood!r}")
        for name in ("target_valence", "target_energy"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], not {getattr(self, name)}")

    def to_json(self) -> dict:
        d = asdict(self)
        for key in ("search_phrases", "genres", "notes"):
            d[key] = list(d[key])
        d["target_valence"], d["target_energy"] = round(self.target_valence, 3), round(self.target_energy, 3)
        d["elapsed_s"] = round(self.elapsed_s, 3)
        return d
