"""Every setting the window keeps, declared once with its type and default, over an injectable QSettings.

Why a wrapper: QSettings in INI format hands back strings ("true", "100") and turns one-element lists into
plain strings, so each key converts its own value here instead of at every call site. Tests pass a QSettings
on a temp INI file; the app uses `config/settings.ini` in the user's AppDirs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QSettings

from emotune.appdirs import AppDirs
from emotune.music.spotify.config import DEFAULT_PORT   # one default for the app, the README and the client

T = TypeVar("T")
MODES = ("match", "lift")
JOURNAL_DAYS = 7   # how far back the analysis may look in the journal, when the user allows it


@dataclass(frozen=True)
class Key(Generic[T]):
    name: str
    default: T
    help: str = ""


CAMERA_INDEX: Key[int] = Key("capture/camera_index", 0, "camera used when the app starts")
LAST_SOURCE: Key[str] = Key("capture/last_source", "", "last video or image opened")
INFERENCE_INTERVAL_MS: Key[int] = Key("inference/interval_ms", 100, "least time between analysed frames")
SPOTIFY_CLIENT_ID: Key[str] = Key("spotify/client_id", "", "the user's own Spotify app")
SPOTIFY_REDIRECT_PORT: Key[int] = Key("spotify/redirect_port", DEFAULT_PORT, "loopback port for the login redirect")
LLM_MODEL_PATH: Key[str] = Key("llm/model_path", "", "a GGUF chosen by the user; empty = default")
LLM_TIME_BUDGET_S: Key[int] = Key("llm/time_budget_s", 30,
                                  "longest an analysis may take before the plain summary stands in")
LLM_SEED: Key[int] = Key("llm/seed", 0, "0: a new sampling seed for every analysis; else this one (tests, "
                         "the self-test and reproducible reports: the same mood then gets the same words)")
GENRES: Key[tuple] = Key("music/genres", (), "genres to prefer")
LANGUAGES: Key[tuple] = Key("music/languages", (), "languages to prefer")
NO_EXPLICIT: Key[bool] = Key("music/no_explicit", False, "hide tracks marked explicit")
MODE: Key[str] = Key("music/mode", "match", "match my mood / lift my mood")
PLAY_ON: Key[str] = Key("music/play_on", "spotify", "where ▶ Play opens a track: spotify, youtube_music or "
                        "youtube (a search for the artist and title, for listening without Spotify)")
AUTO_MODE: Key[bool] = Key("ui/auto_mode", False, "refresh tracks when the mood changes and holds")
JOURNAL_ENABLED: Key[bool] = Key("journal/enabled", True, "keep a local mood journal")
JOURNAL_IN_ANALYSIS: Key[bool] = Key("journal/in_analysis", False,
                                     "let the analysis use the journal of the last days (opt-in)")
GEOMETRY: Key[bytes] = Key("ui/geometry", b"", "window position and size")

ALL_KEYS: tuple[Key, ...] = (CAMERA_INDEX, LAST_SOURCE, INFERENCE_INTERVAL_MS, SPOTIFY_CLIENT_ID,
                             SPOTIFY_REDIRECT_PORT, LLM_MODEL_PATH, LLM_TIME_BUDGET_S, LLM_SEED, GENRES, LANGUAGES,
                             NO_EXPLICIT, MODE, PLAY_ON, AUTO_MODE, JOURNAL_ENABLED, JOURNAL_IN_ANALYSIS, GEOMETRY)


@dataclass(frozen=True)
class Preferences:
    """What the music and analysis services need from the settings, as one plain value."""

    genres: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    no_explicit: bool = False
    mode: str = "match"
    llm_model_path: str = ""
    llm_time_budget_s: float = 30.0     # emotune.llm.analyst.DEFAULT_TIME_BUDGET_S
    llm_seed: int = 0                   # 0: a new seed every analysis
    spotify_client_id: str = ""
    spotify_redirect_port: int = DEFAULT_PORT
    journal_in_analysis: bool = False   # the user allowed the analysis to read the last days' journal


def _split(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(s.strip() for s in items if str(s).strip())


def _convert(key: Key, value: Any) -> Any:
    """The stored value as the key's type; the default when it cannot be read (a hand-edited file)."""
    if value is None:
        return key.default
    default = key.default
    try:
        if isinstance(default, bool):
            return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, tuple):
            return _split(value)
        if isinstance(default, bytes):
            return bytes(value) if not isinstance(value, str) else value.encode("latin-1")
        return str(value)
    except (TypeError, ValueError):
        return default


class _MemoryStore:
    """The four QSettings calls Settings makes, kept in a dict: settings that never touch the disk."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def value(self, name: str) -> Any:
        return self._values.get(name)

    def setValue(self, name: str, value: Any) -> None:  # noqa: N802 (QSettings' name)
        self._values[name] = value

    def sync(self) -> None:
        pass

    def fileName(self) -> str:  # noqa: N802
        return ""


class Settings:
    """Typed access to a QSettings. Used from the GUI thread only."""

    def __init__(self, qsettings: QSettings | _MemoryStore) -> None:
        self._q = qsettings

    @classmethod
    def in_memory(cls) -> Settings:
        """Settings kept only in this process (the self-test): a run that is killed leaves no file behind, where
        a temporary folder would stay (QSettings writes the file as soon as the event loop runs)."""
        return cls(_MemoryStore())

    @classmethod
    def at(cls, path: str | Path) -> Settings:
        """Settings in an INI file at `path` (created on first write)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @classmethod
    def for_user(cls, dirs: AppDirs) -> Settings:
        return cls.at(dirs.config / "settings.ini")

    @property
    def path(self) -> str:
        return self._q.fileName()

    def get(self, key: Key[T]) -> T:
        return _convert(key, self._q.value(key.name))

    def set(self, key: Key[T], value: T) -> None:
        if isinstance(key.default, tuple):
            value = ",".join(_split(value))
        elif key.name == MODE.name and value not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {value!r}")
        self._q.setValue(key.name, value)

    def sync(self) -> None:
        self._q.sync()

    def preferences(self) -> Preferences:
        return Preferences(
            genres=self.get(GENRES), languages=self.get(LANGUAGES), no_explicit=self.get(NO_EXPLICIT),
            mode=self.get(MODE) if self.get(MODE) in MODES else "match", llm_model_path=self.get(LLM_MODEL_PATH),
            llm_time_budget_s=float(max(1, self.get(LLM_TIME_BUDGET_S))), llm_seed=self.get(LLM_SEED),
            spotify_client_id=self.get(SPOTIFY_CLIENT_ID), spotify_redirect_port=self.get(SPOTIFY_REDIRECT_PORT),
            journal_in_analysis=self.get(JOURNAL_ENABLED) and self.get(JOURNAL_IN_ANALYSIS),
        )
