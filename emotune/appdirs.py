"""The user's own EmoTune folders (settings, data, logs, caches), injected as one value.

Nothing writes outside these folders. EMOTUNE_HOME puts all of them under one folder (tests, portable use).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "EmoTune"


@dataclass(frozen=True)
class AppDirs:
    config: Path
    data: Path
    cache: Path
    log: Path

    @classmethod
    def default(cls) -> AppDirs:
        home = os.environ.get("EMOTUNE_HOME")
        if home:
            return cls.under(Path(home))
        return cls(
            config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            log=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    @classmethod
    def under(cls, root: Path) -> AppDirs:
        root = Path(root)
        return cls(config=root / "config", data=root / "data", cache=root / "cache", log=root / "log")

    def ensure(self) -> AppDirs:
        """Creates the folders, owner-only (only when something is about to be written)."""
        from emotune.private_files import private_dir

        for path in (self.config, self.data, self.cache, self.log):
            private_dir(path)
        return self
