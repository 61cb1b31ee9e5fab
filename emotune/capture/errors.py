"""Typed capture errors whose text is written for the user: what happened, then what to do."""
from __future__ import annotations

from emotune.core.errors import UserFacingError


class CaptureError(UserFacingError):
    """Base of every capture failure; `hint` says how to fix it."""


class SourceUnavailable(CaptureError):
    """The source could not be opened (no camera at that index, missing or unreadable file)."""


class SourceLost(CaptureError):
    """The source was open but stopped delivering frames (camera unplugged, taken by another app)."""
