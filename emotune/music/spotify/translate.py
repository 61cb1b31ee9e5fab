"""spotipy's and requests' exceptions in words a user can act on (SpotifyError and its kinds, errors.py).

Why apart from the client: the client decides when to retry, refresh or give up; this module only says what a
failure means. A 429 with QUOTA_EXCEEDED is never worth waiting for; a failed token refresh from a busy or down
accounts service keeps the login (asking the user to connect again would be wrong)."""
from __future__ import annotations

import requests
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from urllib3.exceptions import ReadTimeoutError

from emotune.music.spotify.errors import (
    SpotifyAuthError,
    SpotifyError,
    SpotifyQuotaExceeded,
    SpotifyRateLimited,
    SpotifyRequestError,
    SpotifyUnavailable,
)


def retry_after(exc: SpotifyException) -> float:
    try:
        return max(0.0, float((exc.headers or {}).get("Retry-After", 1)))
    except (TypeError, ValueError):
        return 1.0


def is_quota(exc: SpotifyException) -> bool:
    """QUOTA_EXCEEDED: waiting out Retry-After will not help, so it is never slept on."""
    return "QUOTA_EXCEEDED" in f"{exc.reason or ''} {exc.msg or ''}".upper()


def api_error(exc: SpotifyException) -> SpotifyError:
    status = exc.http_status
    if status == 429 and is_quota(exc):
        return SpotifyQuotaExceeded(
            "Your Spotify app has used up its request quota (QUOTA_EXCEEDED).",
            "Spotify limits development-mode apps; try again later (often the next day).")
    if status == 429:
        wait = retry_after(exc)
        minutes = f"{wait / 60:.0f} min" if wait >= 90 else f"{wait:.0f} s"
        return SpotifyRateLimited(f"Spotify asks EmoTune to wait {minutes} before the next request.",
                                  "Try again later.", retry_after_s=wait)
    if status == 401:
        return SpotifyAuthError("Spotify no longer accepts this login.", "Connect Spotify again in Settings.")
    if status == 403:
        return SpotifyRequestError(
            "Spotify refused the request (403).",
            "Check that your account is added under User Management of your Spotify app and that its owner "
            "has Premium.", status=status)
    if status >= 500:
        return SpotifyUnavailable(f"Spotify had a server error ({status}).", "Try again in a few minutes.")
    message = (exc.msg or "").split("\n")[-1].strip() or f"HTTP {status}"
    return SpotifyRequestError(f"Spotify rejected the request: {message}.", "", status=status)


def oauth_error(exc: SpotifyOauthError) -> SpotifyError:
    """A failed token refresh: a refused login, or the accounts service being down or busy (the login
    is still good then, and asking the user to connect again would be wrong)."""
    busy = accounts_busy(exc)
    if busy is not None:
        return busy
    return SpotifyAuthError(f"The Spotify login has expired or was revoked ({exc.error or 'oauth error'}).",
                            "Connect Spotify again in Settings.")


def accounts_busy(exc: SpotifyOauthError) -> SpotifyError | None:
    """SpotifyUnavailable or SpotifyRateLimited when the token endpoint answered 5xx or 429; None for a
    real refusal (4xx). spotipy keeps the HTTP status only on the HTTPError it raised this from."""
    response = getattr(exc.__context__, "response", None)
    status = getattr(response, "status_code", 0) or 0
    if status >= 500:
        return SpotifyUnavailable(f"Spotify's login service is unavailable (server error {status}).",
                                  "Your login is kept; try again in a few minutes.")
    if status == 429:
        try:
            wait = max(0.0, float(response.headers.get("Retry-After", 0)))
        except (TypeError, ValueError):
            wait = 0.0
        when = f"in {wait / 60:.0f} min" if wait >= 90 else "later"
        return SpotifyRateLimited("Spotify's login service is busy and asks EmoTune to wait.",
                                  f"Your login is kept; try again {when}.", retry_after_s=wait)
    return None


def network_error(exc: requests.RequestException, timeout_s: float) -> SpotifyUnavailable:
    # with read retries at 0, urllib3 wraps a read timeout in MaxRetryError and requests makes that a
    # ConnectionError: look at the reason to tell "slow" from "unreachable"
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(reason, ReadTimeoutError):
        return SpotifyUnavailable(f"Spotify did not answer within {timeout_s:g} s.",
                                  "Check your connection and try again.")
    return SpotifyUnavailable("Cannot reach Spotify.", "Check your internet connection.")
