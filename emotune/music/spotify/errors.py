"""Spotify failures, typed, each with text for the user: what happened, then what to do.

Every one of them leaves the offline recommendations in place; `status_text` says so in the status bar.
"""
from __future__ import annotations

from emotune.core.errors import UserFacingError


class SpotifyError(UserFacingError):
    """Base of every Spotify failure; `message` says what happened, `hint` how to fix it."""

    @property
    def user_text(self) -> str:
        return f"{self} Offline recommendations still work."


class SpotifyNotConfigured(SpotifyError):
    """No client id (or an unusable redirect port) in the settings."""


class SpotifyAuthError(SpotifyError):
    """Not connected, login denied or cancelled, or the login expired and could not be renewed."""


class SpotifyRateLimited(SpotifyError):
    """Spotify asked us to wait longer than we are willing to block for."""

    def __init__(self, message: str, hint: str = "", retry_after_s: float = 0.0) -> None:
        super().__init__(message, hint)
        self.retry_after_s = retry_after_s


class SpotifyQuotaExceeded(SpotifyError):
    """The app's quota (development mode) is used up: waiting a few seconds will not help."""


class SpotifyUnavailable(SpotifyError):
    """Network trouble, a timeout or a Spotify server error."""


class SpotifyRequestError(SpotifyError):
    """Spotify rejected the request (4xx other than 401/429), e.g. a user not added to the app."""

    def __init__(self, message: str, hint: str = "", status: int = 0) -> None:
        super().__init__(message, hint)
        self.status = status


def status_text(exc: BaseException) -> str:
    """One line for the status bar, whatever went wrong."""
    if isinstance(exc, SpotifyError):
        return exc.user_text
    return f"Spotify failed unexpectedly ({exc.__class__.__name__}). Offline recommendations still work."
