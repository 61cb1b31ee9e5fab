"""Typed capture errors whose text is written for the user: what happened, then what to do."""
from __future__ import annotations


class CaptureError(RuntimeError):
    """Base of every capture failure; `hint` says how to fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class SourceUnavailable(CaptureError):
    """The source could not be opened (no camera at that index, missing or unreadable file)."""


class SourceLost(CaptureError):
    """The source was open but stopped delivering frames (camera unplugged, taken by another app)."""
