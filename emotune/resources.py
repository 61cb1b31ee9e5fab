"""Where EmoTune's read-only resources live: `models/` and `assets/`, in a checkout or inside a
PyInstaller bundle. Every lookup goes through here, never through paths relative to the working directory.

EMOTUNE_RESOURCES overrides the root (useful for a relocated install).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def resource_root() -> Path:
    """The folder that holds `models/` and `assets/`."""
    override = os.environ.get("EMOTUNE_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    return resource_root() / "models"


def assets_dir() -> Path:
    return resource_root() / "assets"


def model_path(name: str) -> Path:
    return models_dir() / name


def asset_path(name: str) -> Path:
    return assets_dir() / name
