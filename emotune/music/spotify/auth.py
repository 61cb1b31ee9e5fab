"""The pieces of Spotify login that are ours: configuration, the token cache and the loopback redirect catcher.

Why our own catcher instead of spotipy's: spotipy's local server waits forever in `handle_request()` and
cannot be cancelled; ours waits in a thread with a timeout and a cancel event, so closing the window or
pressing Cancel always ends a login. Why our own cache: spotipy's file cache is created with the process
umask (often world-readable); ours is written 0600 and replaced atomically.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from spotipy.cache_handler import CacheHandler

from emotune.music.spotify.errors import SpotifyAuthError

log = logging.getLogger(__name__)

TOKEN_FILE = "spotify-token.json"


class SecureTokenCache(CacheHandler):
    """spotipy's CacheHandler, stored as JSON with mode 0600 in the user's config folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @classmethod
    def in_config(cls, config_dir: Path) -> SecureTokenCache:
        return cls(Path(config_dir) / TOKEN_FILE)

    def get_cached_token(self) -> dict | None:
        with self._lock:
            self._make_private()
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                return None
            except (OSError, ValueError, RecursionError) as exc:
                log.warning("ignoring an unreadable Spotify token cache %s: %s", self.path, exc)
                return None
            if not _usable_token(data):
                log.warning("ignoring a Spotify token cache %s that does not hold a login", self.path)
                return None
            return data

    def _make_private(self) -> None:
        """A cache left readable by others (an older version, a copied folder) is made owner-only."""
        try:
            if self.path.stat().st_mode & 0o077:
                os.chmod(self.path, 0o600)
                log.warning("made the Spotify token cache %s readable by its owner only", self.path)
        except OSError:
            pass

    def save_token_to_cache(self, token_info: dict) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, json.dumps(token_info).encode("utf-8"))
            finally:
                os.close(fd)
            os.replace(tmp, self.path)

    def delete(self) -> bool:
        """Forgets the login ("disconnect"); True if there was one."""
        with self._lock:
            try:
                self.path.unlink()
                return True
            except FileNotFoundError:
                return False

    def has_login(self, scopes: tuple[str, ...] = ()) -> bool:
        """A stored login that covers `scopes` (else spotipy would start an interactive login on stdin)."""
        token = self.get_cached_token()
        if not (token and token.get("refresh_token")):
            return False
        return set(scopes) <= set(str(token.get("scope", "")).split())


_SECRET_PATTERNS = (
    (re.compile(r"(Bearer\s+)[^\s'\",}]+"), r"\1<redacted>"),
    (re.compile(r"((?:access_token|refresh_token|code_verifier|client_secret|code)['\"]?\s*[:=]\s*['\"]?)"
                r"[^'\"&\s,}]+"), r"\1<redacted>"),
)


def redact(text: str) -> str:
    """The text with bearer tokens, refresh tokens, codes and verifiers replaced by <redacted>."""
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites log records so no token or code reaches a log: spotipy's DEBUG lines print the Authorization
    header and the token request body, our redirect catcher would print the callback's code."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's problem, not ours to raise
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


SECRET_LOGGERS = ("spotipy.client", "spotipy.oauth2", "urllib3.connectionpool", __name__)


def install_log_redaction() -> None:
    """Adds RedactSecrets to the loggers that can see secrets (idempotent). Filters on a logger act on the
    records created there, so each logger that may print a token gets one."""
    for name in SECRET_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


class _CallbackHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        url = urlparse(self.path)
        if url.path != "/callback":
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.result = query  # type: ignore[attr-defined]
        ok = "code" in query
        body = ("<html><body><h1>EmoTune is connected to Spotify.</h1>You can close this tab.</body></html>"
                if ok else "<html><body><h1>Spotify login did not complete.</h1>"
                           "Go back to EmoTune for details.</body></html>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body.encode("utf-8"))
        self.server.done.set()  # type: ignore[attr-defined]

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        log.debug("redirect catcher: " + format, *args)


def _usable_token(data: object) -> bool:
    """A cache spotipy can use without failing on it later: a token string, and an expiry and refresh token of
    the right types where present (a damaged file is then a fresh login, never a crash mid-request)."""
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str) or not data["access_token"]:
        return False
    expires = data.get("expires_at")   # spotipy reads it before every request
    if isinstance(expires, bool) or not isinstance(expires, (int, float)) or expires != expires:
        return False
    return all(isinstance(data.get(key, ""), (str, type(None))) for key in ("refresh_token", "scope", "token_type"))


class RedirectCatcher:
    """Listens on 127.0.0.1:port for the one redirect the login sends back. Use as a context manager."""

    def __init__(self, port: int) -> None:
        self.redirect_uri = f"http://127.0.0.1:{port}/callback"
        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), _CallbackHandler)
        except OSError as exc:
            raise SpotifyAuthError(
                f"Port {port} on this computer is busy, so the Spotify login cannot return to EmoTune.",
                "Close the program using it, or change the redirect port in Settings and in your Spotify app."
            ) from exc
        self._server.done = threading.Event()  # type: ignore[attr-defined]
        self._server.result = {}  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="spotify-redirect", daemon=True)

    def __enter__(self) -> RedirectCatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_for_code(self, state: str, timeout_s: float, cancel: threading.Event | None = None) -> str:
        """The authorization code, once the browser comes back; SpotifyAuthError on denial, a state mismatch,
        timeout or cancel."""
        waited = 0.0
        while not self._server.done.wait(0.1):  # type: ignore[attr-defined]
            waited += 0.1
            if cancel is not None and cancel.is_set():
                raise SpotifyAuthError("Spotify login cancelled.", "")
            if waited >= timeout_s:
                raise SpotifyAuthError("The Spotify login was not completed in time.",
                                       "Try again and approve EmoTune in the browser window. If the Spotify "
                                       "page said INVALID_CLIENT, check the Client ID in Settings and that your "
                                       f"Spotify app lists the redirect URI {self.redirect_uri}")
        result = self._server.result  # type: ignore[attr-defined]
        if result.get("error"):
            raise SpotifyAuthError(f"Spotify refused the login ({result['error']}).",
                                   "Approve EmoTune in the browser, and check that your account is added "
                                   "as a user of your Spotify app.")
        if result.get("state") != state:
            raise SpotifyAuthError("The Spotify login answer did not match this request.", "Try again.")
        return result["code"]
