"""Typed capture errors whose text is written for the user: what happened, then what to do.

Every failure to read a camera, a video, an image or a folder of images raises a CaptureError (never an OpenCV
or OS error), so a caller catches that one type: the CLI writes it into the item's JSON line and goes on, the
window shows it and keeps running. docs/bad-input.md lists the inputs tried.
"""
from __future__ import annotations

from emotune.core.errors import UserFacingError


class CaptureError(UserFacingError):
    """Base of every capture failure; `hint` says how to fix it."""


class SourceUnavailable(CaptureError):
    """The source could not be opened (no camera at that index, missing or unreadable file)."""


class SourceLost(CaptureError):
    """The source was open but stopped delivering frames (camera unplugged, taken by another app)."""
