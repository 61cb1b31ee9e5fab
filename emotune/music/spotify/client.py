"""The optional Spotify connection: PKCE login with the user's own app, search, availability, playlists.

Network rules (why): every call has a timeout; urllib3's retry adapter is built without 429 and without
Retry-After sleeping (spotipy's default sleeps out any Retry-After, reported hangs of an hour), and we
sleep out short waits ourselves up to `max_wait_s`, failing fast beyond that; QUOTA_EXCEEDED is reported as
such. Only endpoints a development-mode app still has (2026) are used: GET /me, GET /search (limit ≤ 10,
paged), GET /tracks/{id}, GET/POST /me/playlists, GET/POST /playlists/{id}/items. Never recommendations or
audio features. Calls are serialised by a lock, so one client can serve several worker threads.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
import webbrowser
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

import requests
import spotipy
from requests.adapters import HTTPAdapter
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from urllib3.util.retry import Retry

from emotune.music.links import is_track_id, track_uri, track_url
from emotune.music.spotify.auth import RedirectCatcher, SecureTokenCache, install_log_redaction
from emotune.music.spotify.config import SpotifyConfig
from emotune.music.spotify.errors import SpotifyAuthError, SpotifyRateLimited, SpotifyRequestError, SpotifyUnavailable
from emotune.music.spotify.translate import accounts_busy, api_error, is_quota, network_error, oauth_error, retry_after
from emotune.music.track import Track

log = logging.getLogger(__name__)

SEARCH_PAGE = 10        # GET /search rejects limit > 10 for development-mode apps (400 "Invalid limit")
ADD_CHUNK = 100         # POST /playlists/{id}/items takes at most 100 uris


@dataclass(frozen=True)
class SpotifyUser:
    id: str
    display_name: str
    country: str = ""     # gone from GET /me for development-mode apps since 2026; "" then


@dataclass(frozen=True)
class SavedPlaylist:
    id: str
    name: str
    url: str
    added: int


class _NoPromptPKCE(spotipy.SpotifyPKCE):
    """spotipy falls back to a login prompt on stdin when it finds no usable cached token (a disconnect
    racing a search, a cache with fewer scopes); a worker thread would hang there. Ours says so instead."""

    def get_authorization_code(self, response=None):
        if response:
            return super().get_authorization_code(response)
        raise SpotifyAuthError("Spotify is not connected.", "Connect Spotify in Settings.")


def _http_session() -> requests.Session:
    """Retries only for connection errors and 5xx on GET, never for 429, never sleeping on Retry-After."""
    retry = Retry(total=2, connect=1, read=0, status=2, backoff_factor=0.2,
                  status_forcelist=(500, 502, 503, 504), allowed_methods=frozenset({"GET"}),
                  respect_retry_after_header=False, raise_on_status=False)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _track_from_api(item: dict[str, Any]) -> Track | None:
    if not item or not is_track_id(item.get("id") or ""):
        return None
    album = item.get("album") or {}
    date = str(album.get("release_date") or "")
    return Track(
        id=item["id"], title=item.get("name") or "(untitled)",
        artists=tuple(a.get("name", "") for a in item.get("artists") or () if a.get("name")) or ("Unknown artist",),
        album=album.get("name") or "", year=int(date[:4]) if date[:4].isdigit() else 0,
        explicit=item.get("explicit") if isinstance(item.get("explicit"), bool) else None,
    )


class SpotifyClient:
    """One user's connection. `open_url` shows the login page (the browser in the app; tests drive the
    fake accounts server directly); `sleep` is what waits out a short Retry-After."""

    def __init__(self, config: SpotifyConfig, cache: SecureTokenCache,
                 open_url: Callable[[str], Any] = webbrowser.open, sleep: Callable[[float], Any] = time.sleep) -> None:
        install_log_redaction()
        self.config = config
        self.cache = cache
        self._open_url = open_url
        self._sleep = sleep
        self._lock = threading.RLock()
        self._market: str | None = None
        self._auth = _NoPromptPKCE(
            client_id=config.client_id, redirect_uri=config.redirect_uri, scope=list(config.scopes),
            cache_handler=cache, open_browser=False, requests_timeout=config.timeout_s,
            requests_session=requests.Session())
        # spotipy reads these class attributes through the instance: instance values point it elsewhere
        self._auth.OAUTH_AUTHORIZE_URL = config.authorize_url
        self._auth.OAUTH_TOKEN_URL = config.token_url
        self._sp = spotipy.Spotify(auth_manager=self._auth, requests_session=_http_session(),
                                   requests_timeout=config.timeout_s, retries=0, status_retries=0)
        self._sp.prefix = config.api_prefix

    # ---- login --------------------------------------------------------------------------------------
    def is_connected(self) -> bool:
        return self.cache.has_login(self.config.scopes)

    def connect(self, cancel: threading.Event | None = None,
                on_url: Callable[[str, bool], Any] | None = None) -> SpotifyUser:
        """PKCE login: opens the authorize page, catches the redirect on 127.0.0.1, trades the code for
        tokens (stored 0600). Blocks until done, denied, cancelled or timed out: call from a worker.
        `on_url(url, opened)` hears the login address and whether a browser opened it; with it, a machine
        without a browser keeps waiting for the user to open the address elsewhere (webbrowser.open says False
        then, without raising)."""
        state = secrets.token_urlsafe(16)
        with self._lock:
            self._auth.get_pkce_handshake_parameters()
            url = self._auth.get_authorize_url(state=state)
        with RedirectCatcher(self.config.redirect_port) as catcher:
            try:
                opened = self._open_url(url) is not False
            except Exception as exc:  # a broken browser setup must not look like a Spotify failure
                if on_url is None:
                    raise SpotifyAuthError("Could not open the browser for the Spotify login.",
                                           f"Open this address yourself: {url}") from exc
                opened = False
            if on_url is not None:
                on_url(url, opened)
            code = catcher.wait_for_code(state, self.config.login_timeout_s, cancel)
        with self._lock:
            try:
                self._auth.get_access_token(code=code, check_cache=False)
            except SpotifyOauthError as exc:
                if (busy := accounts_busy(exc)) is not None:
                    raise busy from exc
                raise SpotifyAuthError(f"Spotify did not accept the login ({exc.error or exc}).",
                                       "Check the Client ID and that the redirect URI in your Spotify app is "
                                       f"exactly {self.config.redirect_uri}") from exc
            except requests.RequestException as exc:
                raise network_error(exc, self.config.timeout_s) from exc
            self._market = None
        return self.me()

    def disconnect(self) -> None:
        """Deletes the stored login; the next Spotify action asks to connect again."""
        with self._lock:
            self.cache.delete()
            self._market = None

    # ---- API ----------------------------------------------------------------------------------------
    def me(self) -> SpotifyUser:
        data = self._call(self._sp.current_user)
        return SpotifyUser(id=data.get("id", ""), display_name=data.get("display_name") or data.get("id", ""),
                           country=data.get("country") or "")

    def market(self) -> str:
        """The user's country from GET /me, or "from_token" (Spotify then uses the account's country)."""
        with self._lock:
            if self._market is None:
                self._market = self.me().country or "from_token"
            return self._market

    def search_tracks(self, query: str, total: int = 10) -> list[Track]:
        """Up to `total` tracks for a phrase, in pages of at most 10 (the development-mode limit)."""
        market = self.market()
        found: dict[str, Track] = {}
        offset = 0
        while len(found) < total:
            limit = min(SEARCH_PAGE, total - len(found))
            page = self._call(self._sp.search, q=query, limit=limit, offset=offset, type="track", market=market)
            block = page.get("tracks") if isinstance(page, dict) else None
            items = block.get("items") if isinstance(block, dict) else None
            if not isinstance(items, list):
                # spotipy turns a body that is not JSON into None: an empty list here would hide the fault
                raise SpotifyUnavailable("Spotify's search sent an answer EmoTune cannot read.",
                                         "Spotify may be having trouble; try again in a few minutes.")
            for item in items:
                track = _track_from_api(item)
                if track is not None and track.id not in found and item.get("is_playable", True) is not False:
                    found[track.id] = track
            offset += len(items)
            if not items or not block.get("next") or offset >= int(block.get("total") or 0):
                break
        return list(found.values())[:total]

    def phrase_hits(self, phrases: Iterable[str], per_phrase: int = 5) -> Iterator[tuple[str, Track]]:
        """(phrase, track) for the LLM's search phrases, in phrase order, each track once. Lazy: a caller that
        has enough tracks stops, and the remaining phrases are never searched (each search costs quota)."""
        seen: set[str] = set()
        for phrase in phrases:
            phrase = phrase.strip()
            if not phrase:
                continue
            for track in self.search_tracks(phrase, per_phrase):
                if track.id not in seen:
                    seen.add(track.id)
                    yield phrase, track

    def resolve_phrases(self, phrases: Iterable[str], per_phrase: int = 5) -> list[Track]:
        """Tracks for the LLM's search phrases, in phrase order, without duplicates."""
        return [track for _, track in self.phrase_hits(phrases, per_phrase)]

    def availability(self, track_ids: Sequence[str]) -> dict[str, bool]:
        """track id → playable in the user's market (GET /tracks/{id}; the several-tracks endpoint is gone)."""
        market = self.market()
        out: dict[str, bool] = {}
        for track_id in track_ids:
            if not is_track_id(track_id):
                continue
            try:
                item = self._call(self._sp.track, track_id, market=market)
            except SpotifyRequestError as exc:
                if exc.status in (400, 404):
                    out[track_id] = False
                    continue
                raise
            out[track_id] = bool(item.get("is_playable", True)) if item else False
        return out

    def playlists(self) -> list[tuple[str, str, int]]:
        """(id, name, number of items) of the user's playlists (GET /me/playlists)."""
        out, offset = [], 0
        while True:
            page = self._call(self._sp.current_user_playlists, limit=50, offset=offset)
            items = (page or {}).get("items") or []
            for p in items:
                count = (p.get("items") or p.get("tracks") or {}).get("total", 0)
                out.append((p.get("id", ""), p.get("name", ""), int(count or 0)))
            offset += len(items)
            if not items or not page.get("next"):
                return out

    def playlist_track_ids(self, playlist_id: str) -> list[str]:
        """Track ids in a playlist (GET /playlists/{id}/items; entries carry `item`, formerly `track`)."""
        out, offset = [], 0
        while True:
            page = self._call(self._sp.playlist_items, playlist_id, limit=50, offset=offset)
            items = (page or {}).get("items") or []
            for entry in items:
                obj = entry.get("item") or entry.get("track") or {}
                if is_track_id(obj.get("id") or ""):
                    out.append(obj["id"])
            offset += len(items)
            if not items or not page.get("next"):
                return out

    def save_playlist(self, name: str, track_ids: Sequence[str], description: str = "",
                      public: bool = False) -> SavedPlaylist:
        """Creates a playlist in the user's account (POST /me/playlists) and adds the tracks
        (POST /playlists/{id}/items, 100 at a time). Invalid ids are skipped, never sent."""
        uris = [track_uri(t) for t in track_ids if is_track_id(t)]
        if not uris:
            raise SpotifyRequestError("There are no tracks to save.", "Get recommendations first.")
        created = self._call(self._sp.current_user_playlist_create, name, public=public, description=description)
        playlist_id = created.get("id", "")
        for start in range(0, len(uris), ADD_CHUNK):
            self._call(self._sp.playlist_add_items, playlist_id, uris[start:start + ADD_CHUNK])
        url = (created.get("external_urls") or {}).get("spotify") or f"https://open.spotify.com/playlist/{playlist_id}"
        return SavedPlaylist(playlist_id, created.get("name", name), url, len(uris))

    @staticmethod
    def track_url(track_id: str) -> str:
        return track_url(track_id)

    # ---- the one place calls go through -------------------------------------------------------------
    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self.cache.has_login(self.config.scopes):
            # without this, spotipy would fall back to an interactive login prompt on stdin
            raise SpotifyAuthError("Spotify is not connected.", "Connect Spotify in Settings.")
        refreshed = False
        for attempt in range(self.config.max_rate_retries + 1):
            try:
                with self._lock:
                    return fn(*args, **kwargs)
            except SpotifyException as exc:
                if exc.http_status == 401 and not refreshed:
                    self._force_refresh()
                    refreshed = True
                    continue
                if exc.http_status == 429 and not is_quota(exc):
                    wait = retry_after(exc)
                    if attempt < self.config.max_rate_retries and wait <= self.config.max_wait_s:
                        log.info("Spotify asked to wait %.0f s; waiting", wait)
                        self._sleep(wait)
                        continue
                raise api_error(exc) from exc
            except SpotifyOauthError as exc:
                raise oauth_error(exc) from exc
            except requests.RequestException as exc:
                raise network_error(exc, self.config.timeout_s) from exc
        raise SpotifyRateLimited("Spotify kept asking EmoTune to slow down.", "Try again in a minute.")

    def _force_refresh(self) -> None:
        token = self.cache.get_cached_token() or {}
        try:
            with self._lock:
                self._auth.refresh_access_token(token.get("refresh_token", ""))
        except SpotifyOauthError as exc:
            raise oauth_error(exc) from exc
        except requests.RequestException as exc:
            raise network_error(exc, self.config.timeout_s) from exc
