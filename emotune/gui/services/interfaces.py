"""What the window needs from the analysis and music teams, as two small interfaces and plain values.

The window depends on these, never on emotune.llm or emotune.music directly: `app.py` adapts the real engines
to them, and the fallbacks here keep the window useful when an engine is missing (a deterministic summary in
the analysis panel; an empty track list that says why).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from emotune.core.history import MoodHistory, MoodSummary
from emotune.core.mood import MoodSnapshot
from emotune.gui.settings import Preferences
from emotune.gui.style import MOOD_WORDS, describe_va

SPOTIFY_TRACK_URL = "https://open.spotify.com/track/{}"


@dataclass(frozen=True)
class AnalysisRequest:
    mood: MoodSnapshot
    summary: MoodSummary
    history: MoodHistory
    prefs: Preferences
    mode: str


@dataclass(frozen=True)
class AnalysisView:
    """The analysis as the panel shows it. `source` is "llm", "fallback" (the engine's own deterministic
    result) or "summary" (no engine); `raw` is the engine's result, handed on to the music service."""

    text: str
    source: str
    label: str = ""
    note: str = ""
    raw: Any = None


class AnalysisService(Protocol):
    name: str

    def load(self, progress: Callable[[str], None], cancel: threading.Event | None = None) -> str:
        """Loads the model (worker thread); returns what was loaded, raises with a readable text."""
        ...

    def analyze(self, request: AnalysisRequest, on_text: Callable[[str], None],
                cancel: threading.Event) -> AnalysisView:
        """Worker thread; `on_text` receives the whole text so far each time more of it is written."""
        ...


@dataclass(frozen=True)
class TrackItem:
    track_id: str
    title: str
    artist: str
    album: str
    reason: str
    url: str
    unavailable: str = ""   # why it cannot be played (e.g. not in the user's Spotify market); "" = playable


@dataclass(frozen=True)
class TrackBatch:
    tracks: tuple[TrackItem, ...]
    note: str = ""          # e.g. "No track matched 'jazz' in German; showing other languages."
    source: str = ""        # "offline catalog", "Spotify", …
    detail: str = ""        # what the one-sentence note leaves out (for its tooltip)


class MusicService(Protocol):
    name: str
    available: bool

    def recommend(self, mood: MoodSnapshot, mode: str, prefs: Preferences, analysis: AnalysisView | None,
                  refresh: bool) -> TrackBatch:
        """Worker thread. `refresh` asks for tracks not shown yet."""
        ...


class JournalPanel(Protocol):
    """What the journal wiring needs of the Journal tab (gui.widgets.journal.view.JournalView is one): the
    services never import widgets, so app.py builds the tab and hands its maker in."""

    store: Any
    status: Any       # a label: setText(str)

    def set_store(self, store) -> None: ...

    def refresh(self) -> None: ...

    def isVisible(self) -> bool: ...   # Qt's name


def summary_text(summary: MoodSummary, mode: str) -> str:
    """A short, deterministic reading of what was measured (the panel's text when no LLM is available)."""
    top = sorted(summary.shares.items(), key=lambda kv: kv[1], reverse=True)[:3]
    shares = ", ".join(f"{e} {p:.0%}" for e, p in top if p >= 0.05)
    if summary.manual:
        head = f"You set your mood to {summary.dominant}."
    else:
        minutes = summary.duration_s / 60
        span = f"over the last {minutes:.0f} min" if minutes >= 1 else f"over the last {summary.duration_s:.0f} s"
        head = f"{MOOD_WORDS[summary.dominant]} {span} ({shares}); it has held for {summary.dominant_held_s:.0f} s " \
               f"and the trend is {summary.trend}."
    feel = f"That reads as {describe_va(summary.valence, summary.arousal)}."
    plan = "The tracks below match that mood." if mode == "match" else \
        "The tracks below start where you are and move step by step toward a brighter mood."
    return f"{head} {feel} {plan}"


class SummaryAnalyst:
    """The fallback analysis: computed from MoodHistory.summary(), instant and always available."""

    name = "summary"

    def __init__(self, reason: str = "") -> None:
        self.reason = reason     # why there is no language model, shown under the text

    def load(self, progress: Callable[[str], None], cancel: threading.Event | None = None) -> str:
        return "mood summary (no language model)"

    def analyze(self, request: AnalysisRequest, on_text: Callable[[str], None],
                cancel: threading.Event | None) -> AnalysisView:
        text = summary_text(request.summary, request.mode)
        on_text(text)
        return AnalysisView(text, "summary", request.summary.dominant, self.reason)


class NoMusic:
    """Stands in when the music package is missing: no tracks, and a note that says so."""

    name = "none"
    available = False

    def __init__(self, reason: str = "Music recommendations are not available in this build.") -> None:
        self.reason = reason

    def recommend(self, mood: MoodSnapshot, mode: str, prefs: Preferences, analysis: AnalysisView | None,
                  refresh: bool) -> TrackBatch:
        return TrackBatch((), self.reason)
