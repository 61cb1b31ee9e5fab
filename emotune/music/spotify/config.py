"""What EmoTune needs to know to talk to Spotify: the user's Client ID, the login's loopback port and the
base URLs. Kept apart from the login code so that the settings and the window's start-up read the defaults
without importing spotipy (and requests, redis and friends under it: ~0.3 s)."""
from __future__ import annotations

from dataclasses import dataclass

from emotune.music.spotify.errors import SpotifyNotConfigured

DEFAULT_PORT = 8765
SCOPES = ("playlist-modify-private", "playlist-modify-public", "playlist-read-private", "user-read-private")


@dataclass(frozen=True)
class SpotifyConfig:
    """Where and how to talk to Spotify. The base URLs are configuration so tests point the real spotipy
    client at a server on 127.0.0.1; the client id is the user's own app (see docs/music.md)."""

    client_id: str
    redirect_port: int = DEFAULT_PORT
    api_base: str = "https://api.spotify.com/v1/"
    accounts_base: str = "https://accounts.spotify.com"
    timeout_s: float = 10.0          # every HTTP call
    max_wait_s: float = 5.0          # the longest Retry-After we sleep out; longer ones become an error
    max_rate_retries: int = 2        # how many 429s in a row we sleep out before giving up
    login_timeout_s: float = 180.0   # how long the browser login may take
    scopes: tuple[str, ...] = SCOPES

    def __post_init__(self) -> None:
        if not self.client_id.strip():
            raise SpotifyNotConfigured(
                "No Spotify Client ID is set.",
                "Create your own Spotify app (Settings → Spotify explains how) and paste its Client ID.")
        if not 1024 <= int(self.redirect_port) <= 65535:
            raise SpotifyNotConfigured(f"Redirect port {self.redirect_port} is not usable.",
                                       "Choose a port between 1024 and 65535.")

    @property
    def redirect_uri(self) -> str:
        # Spotify accepts loopback literals only (never "localhost") for http redirects.
        return f"http://127.0.0.1:{self.redirect_port}/callback"

    @property
    def authorize_url(self) -> str:
        return self.accounts_base.rstrip("/") + "/authorize"

    @property
    def token_url(self) -> str:
        return self.accounts_base.rstrip("/") + "/api/token"

    @property
    def api_prefix(self) -> str:
        return self.api_base.rstrip("/") + "/"
