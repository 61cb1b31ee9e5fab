"""Adapters from the analysis, music and journal engines to the window's small interfaces (interfaces.py);
engine_wiring.py keeps them in step with the settings.

Each maker returns a working service: the real engine when it is installed and usable, otherwise the fallback
with a note saying why, so the window always opens. Nothing here loads a model, reads a catalog or opens a
database on the GUI thread: the makers only construct, and the work happens in the task pools.
"""
from __future__ import annotations

import logging
from typing import Callable, Sequence

from emotune.appdirs import AppDirs
from emotune.gui import settings as keys
from emotune.gui.services.interfaces import AnalysisService, JournalPanel, MusicService, NoMusic, SummaryAnalyst
from emotune.gui.settings import Preferences

log = logging.getLogger(__name__)


def make_analyst(prefs: Preferences, dirs: AppDirs, genres: Callable[[], Sequence[str]] = tuple,
                 model_dirs: Sequence | None = None) -> AnalysisService:
    """The local LLM (found and loaded later, in the LLM pool), or the plain summary if emotune.llm is absent."""
    try:
        from emotune.gui.services.llm_service import make_llm_analyst
        from emotune.llm import analyst as _analyst  # noqa: F401 - fails early when the package is missing
    except ImportError as exc:
        log.warning("no language model support: %s", exc)
        return SummaryAnalyst(f"language model support is not installed ({exc.name})")
    dirs_ = model_dirs if model_dirs is not None else _model_dirs(dirs)
    return make_llm_analyst(prefs.llm_model_path, genres, dirs_, prompt_cache_dir=dirs.cache / "llm",
                            time_budget_s=prefs.llm_time_budget_s, seed=prefs.llm_seed or None)


def _model_dirs(dirs: AppDirs):
    from emotune.llm.model_files.model_locator import default_model_dirs

    return default_model_dirs(dirs)


def make_music(prefs: Preferences, dirs: AppDirs, catalog_path=None, **spotify_config) -> MusicService:
    """The offline catalog for everyone; with a Client ID in the settings, Spotify on top of it."""
    try:
        from emotune.gui.services.music_service import CatalogMusic
    except ImportError as exc:
        log.warning("no music support: %s", exc)
        return NoMusic(f"Music recommendations are not available in this build ({exc.name} is missing).")
    catalog = CatalogMusic(dirs, catalog_path)
    if not prefs.spotify_client_id.strip():
        return catalog
    try:
        from emotune.gui.services.music_service import SpotifyMusic, make_spotify_client

        return SpotifyMusic(catalog, make_spotify_client(prefs, dirs, **spotify_config))
    except ImportError as exc:
        log.warning("Spotify support missing, offline catalog only: %s", exc)
    except Exception as exc:  # noqa: BLE001 - SpotifyNotConfigured (bad port) and the like
        log.warning("Spotify not set up, offline catalog only: %s", exc)
    return catalog


def network_status(music: MusicService) -> tuple[str, bool]:
    """The status bar's online/offline text, from the music service's last known state (no I/O)."""
    try:
        from emotune.gui.services.music_service import network_text
    except ImportError:
        return "Offline: music from the built-in catalog", False
    return network_text(music)


def attach_journal(window, session, dirs: AppDirs, make_view: Callable[..., JournalPanel], enabled: bool = True):
    """Adds the Journal tab made by `make_view(store, runner)` and records the session into the journal (opened
    in its own pool)."""
    from emotune.gui.services.journal_bridge import JournalBridge

    bridge = JournalBridge(dirs)
    view = make_view(None, bridge.runner)
    window.add_tab(view, "Journal")
    window.journal_view = view
    bridge.opened.connect(view.set_store)
    bridge.closed.connect(lambda: view.set_store(None))
    bridge.problem.connect(lambda text: window.status.showMessage(text, 12000))
    bridge.problem.connect(lambda text: view.status.setText(text) if view.store is None else None)  # not opened
    bridge.written.connect(lambda what: view.refresh() if view.isVisible() else None)   # a like shows at once
    session.mood_recorded.connect(bridge.record_mood)
    session.analysis_done.connect(bridge.record_analysis)
    session.tracks_ready.connect(lambda batch: bridge.record_tracks(batch, session.captured_mood, session.mode))
    window.controller.source_opened.connect(lambda description, fps: bridge.start_session(description))
    window.controller.running_changed.connect(lambda running: None if running else bridge.end_session())

    def feedback(item, kind: str) -> None:
        if not bridge.enabled:
            window.status.showMessage("Feedback is kept in the mood journal, which is off (Settings).", 8000)
        elif bridge.record_feedback(item, kind, session.captured_mood):
            words = {"like": "Liked", "skip": "Skipped", "not_for_mood": "Marked “not for this mood”:"}[kind]
            window.status.showMessage(f"{words} {item.title}. The next tracks for this mood take it into account.",
                                      6000)

    window.tracks.feedback_given.connect(feedback)
    window.tracks.feedback_undone.connect(lambda item, kind: bridge.undo_feedback(item, kind))
    plug_feedback(session.music, bridge)
    plug_journal(session.analyst, bridge)
    window.shutdown_hooks.append(bridge.shutdown)
    if enabled:
        bridge.open()
        view.status.setText("Opening the journal…")
    return bridge


def plug_feedback(music: MusicService, bridge) -> None:
    if bridge is not None and hasattr(music, "feedback"):
        music.feedback = bridge.boosts


def plug_journal(analyst: AnalysisService, bridge) -> None:
    """Lets the LLM analyst ask the journal for the last days; it asks only when the user allowed it."""
    if bridge is not None and hasattr(analyst, "journal"):
        analyst.journal = lambda: bridge.recent_summary(keys.JOURNAL_DAYS)


def plug_phrases(analyst: AnalysisService, check) -> None:
    """Lets the LLM analyst keep only the search phrases and genres the catalog backs for the mood."""
    if check is not None and hasattr(analyst, "phrase_check"):
        analyst.phrase_check = check
