"""The base of every error whose text is written for the user: what happened, then what to do.

Capture, Spotify and the other layers raise subclasses, so the window and the CLI show any of them the
same way (`str(exc)`) without knowing which layer failed.
"""
from __future__ import annotations


class UserFacingError(RuntimeError):
    """`message` says what happened, `hint` how to fix it; `str()` joins the two."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


def user_text(exc: BaseException, fallback: str) -> str:
    """What to show for a failure: the error's own text for the user (`user_text`, as the journal and Spotify
    errors carry) when it has one, otherwise `fallback` and the exception."""
    return getattr(exc, "user_text", None) or f"{fallback}: {exc}"
