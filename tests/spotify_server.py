"""A real HTTP server on 127.0.0.1 that speaks the parts of Spotify EmoTune uses, for tests.

Accounts service: GET /authorize (PKCE, auto-approves or denies, redirects to the registered loopback
redirect URI), POST /api/token (authorization_code with code_verifier check; refresh_token, rotating).
Web API under /v1: GET /me, GET /search (limit ≤ 10, else 400 "Invalid limit"), GET /tracks/{id},
GET/POST /me/playlists, GET/POST /playlists/{id}/items. Endpoints removed for development-mode apps
(recommendations, audio-features, /users/{id}/playlists, /playlists/{id}/tracks) answer 403 and are logged.
Faults are queued per path prefix: 429 with Retry-After, 429 QUOTA_EXCEEDED, 500, a slow reply, or a body that
is not JSON.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
REMOVED = ("/v1/recommendations", "/v1/audio-features", "/v1/audio-analysis", "/v1/users/")


def fake_id(n: int, prefix: str = "T") -> str:
    body = "".join(ALPHABET[(n * 7 + i * 13) % 62] for i in range(21 - len(prefix)))
    return (prefix + body + ALPHABET[n % 62])[:22]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now: for redirect URIs and an unreachable Spotify."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (the slow-reply test's timeout) is expected, not a traceback on stderr."""

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@dataclass
class Fault:
    status: int = 0                 # 0 = no error status, only the delay
    retry_after: int | None = None
    reason: str = ""
    delay_s: float = 0.0
    body: str | None = None         # a raw body (not JSON) sent with `status`, or 200 when status is 0


@dataclass
class State:
    client_id: str = "emotune-test-client"
    token_client_id: str | None = None   # set: the token endpoint knows only this client (authorize still passes)
    redirect_uris: set[str] = field(default_factory=set)
    country: str | None = "SE"      # None: GET /me without country, as for 2026 development-mode apps
    deny: bool = False
    token_lifetime_s: int = 3600
    codes: dict[str, dict] = field(default_factory=dict)
    access: dict[str, float] = field(default_factory=dict)      # token -> expires at
    refresh: set[str] = field(default_factory=set)
    playlists: dict[str, dict] = field(default_factory=dict)
    unplayable: set[str] = field(default_factory=set)
    any_track: bool = False         # GET /tracks/{id} knows every well-formed id (the app's catalog tracks)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    log: list[tuple[str, str, dict]] = field(default_factory=list)   # method, path, query
    secrets: list[str] = field(default_factory=list)   # every code and token handed out (tests grep logs for them)


class FakeSpotify:
    """Start with `with FakeSpotify() as fake:`; `fake.url` is the base for both services."""

    def __init__(self, n_tracks: int = 35) -> None:
        self.state = State()
        self.lock = threading.RLock()
        self.tracks = [self._track(i) for i in range(n_tracks)]
        self._server = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-spotify", daemon=True)

    def __enter__(self) -> FakeSpotify:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ---- test controls ----------------------------------------------------------------------------
    def add_fault(self, path_prefix: str, fault: Fault, times: int = 1) -> None:
        with self.lock:
            self.state.faults.setdefault(path_prefix, []).extend([fault] * times)

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.state.access:
                self.state.access[token] = 0.0

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.state.refresh.clear()
            self.expire_tokens()

    def requests_to(self, prefix: str) -> list[tuple[str, str, dict]]:
        with self.lock:
            return [r for r in self.state.log if r[1].startswith(prefix)]

    def removed_endpoint_calls(self) -> list[tuple[str, str, dict]]:
        with self.lock:
            return [r for r in self.state.log if r[1].startswith(REMOVED) or r[1].endswith("/tracks")]

    @staticmethod
    def _track(i: int) -> dict:
        tid = fake_id(i)
        return {"id": tid, "name": f"Song {i}", "uri": f"spotify:track:{tid}", "explicit": i % 5 == 0,
                "artists": [{"name": f"Artist {i % 7}", "id": fake_id(i, "A")}],
                "album": {"name": f"Album {i % 4}", "release_date": f"20{10 + i % 15}-01-01"}, "type": "track"}


def _make_handler(fake: FakeSpotify):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002
            pass

        # ---- plumbing -------------------------------------------------------------------------
        def _send(self, status: int, body: dict | list | str | None = None, headers: dict | None = None) -> None:
            data = b"" if body is None else (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/html")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, reason: str = "", headers: dict | None = None) -> None:
            err = {"status": status, "message": message} | ({"reason": reason} if reason else {})
            self._send(status, {"error": err}, headers)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _route(self, method: str) -> None:
            url = urlparse(self.path)
            # Spotify ignores a trailing slash (spotipy sends "me/")
            url = url._replace(path=url.path.rstrip("/") or "/")
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = self._body() if method == "POST" else b""
            with fake.lock:
                fake.state.log.append((method, url.path, query))
                fault = None
                for prefix, queue in fake.state.faults.items():
                    if url.path.startswith(prefix) and queue:
                        fault = queue.pop(0)
                        break
            if fault is not None:
                if fault.delay_s:
                    time.sleep(fault.delay_s)
                if fault.body is not None:
                    return self._send(fault.status or 200, fault.body)
                if fault.status:
                    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                    msg = "API rate limit exceeded" if fault.status == 429 else "Server error"
                    self._error(fault.status, msg, fault.reason, headers)
                    return
            if url.path == "/authorize" and method == "GET":
                return self._authorize(query)
            if url.path == "/api/token" and method == "POST":
                return self._token({k: v[0] for k, v in parse_qs(body.decode()).items()})
            if not url.path.startswith("/v1/"):
                return self._error(404, "Service not found")
            if url.path.startswith(REMOVED) or (url.path.startswith("/v1/playlists/") and url.path.endswith("/tracks")):
                return self._error(403, "Forbidden")
            if not self._authorized():
                return self._error(401, "The access token expired")
            self._api(method, url.path, query, body)

        def do_GET(self):  # noqa: N802
            self._route("GET")

        def do_POST(self):  # noqa: N802
            self._route("POST")

        # ---- accounts service -----------------------------------------------------------------
        def _authorize(self, q: dict) -> None:
            st = fake.state
            if q.get("client_id") != st.client_id:
                return self._send(400, "<html>INVALID_CLIENT: Invalid client</html>")
            redirect = q.get("redirect_uri", "")
            host = urlparse(redirect).hostname
            if host != "127.0.0.1" or (st.redirect_uris and redirect not in st.redirect_uris):
                return self._send(400, "<html>INVALID_CLIENT: Invalid redirect URI</html>")
            if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
                return self._send(400, "<html>unsupported_response_type</html>")
            if st.deny:
                params = {"error": "access_denied", "state": q.get("state", "")}
            else:
                code = secrets.token_urlsafe(12)
                with fake.lock:
                    st.secrets.append(code)
                    st.codes[code] = {"challenge": q.get("code_challenge"), "redirect_uri": redirect,
                                      "scope": q.get("scope", "")}
                params = {"code": code, "state": q.get("state", "")}
            self._send(302, None, {"Location": f"{redirect}?{urlencode(params)}"})

        def _token(self, form: dict) -> None:
            st = fake.state
            if form.get("client_id") != (st.token_client_id or st.client_id):
                return self._send(400, {"error": "invalid_client", "error_description": "Invalid client"})
            if form.get("grant_type") == "authorization_code":
                with fake.lock:
                    grant = st.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "").encode()
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).decode().rstrip("=")
                if not grant or grant["challenge"] != challenge or grant["redirect_uri"] != form.get("redirect_uri"):
                    return self._send(400, {"error": "invalid_grant",
                                            "error_description": "Invalid authorization code"})
                scope = grant["scope"]
            elif form.get("grant_type") == "refresh_token":
                with fake.lock:
                    if form.get("refresh_token") not in st.refresh:
                        return self._send(400, {"error": "invalid_grant", "error_description": "Refresh token revoked"})
                    st.refresh.discard(form["refresh_token"])
                scope = " ".join(sorted({"playlist-modify-private", "playlist-modify-public",
                                         "playlist-read-private", "user-read-private"}))
            else:
                return self._send(400, {"error": "unsupported_grant_type"})
            access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
            with fake.lock:
                st.access[access] = time.time() + st.token_lifetime_s
                st.refresh.add(refresh)
                st.secrets += [access, refresh]
            self._send(200, {"access_token": access, "token_type": "Bearer", "expires_in": st.token_lifetime_s,
                             "refresh_token": refresh, "scope": scope})

        # ---- web API --------------------------------------------------------------------------
        def _authorized(self) -> bool:
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").strip()
            with fake.lock:
                return fake.state.access.get(token, 0.0) > time.time()

        def _api(self, method: str, path: str, q: dict, body: bytes) -> None:
            st = fake.state
            if path == "/v1/me" and method == "GET":
                me = {"id": "tester", "display_name": "Test User", "type": "user"}
                if st.country:
                    me["country"] = st.country
                return self._send(200, me)
            if path == "/v1/search" and method == "GET":
                return self._search(q)
            if path.startswith("/v1/tracks/") and method == "GET":
                tid = path.rsplit("/", 1)[-1]
                track = next((t for t in fake.tracks if t["id"] == tid), None)
                if track is None and st.any_track and len(tid) == 22 and all(c in ALPHABET for c in tid):
                    track = {"id": tid, "name": "Catalog song", "uri": f"spotify:track:{tid}", "type": "track",
                             "artists": [{"name": "Catalog artist"}], "album": {"name": "Catalog album"}}
                if track is None:
                    return self._error(404, "Resource not found") if len(tid) == 22 else self._error(400, "Invalid id")
                return self._send(200, track | ({"is_playable": tid not in st.unplayable} if q.get("market") else {}))
            if path == "/v1/me/playlists":
                return self._my_playlists(method, q, body)
            if path.startswith("/v1/playlists/") and path.endswith("/items"):
                return self._playlist_items(method, path.split("/")[3], q, body)
            self._error(404, "Service not found")

        def _search(self, q: dict) -> None:
            try:
                limit, offset = int(q.get("limit", 5)), int(q.get("offset", 0))
            except ValueError:
                return self._error(400, "Invalid limit")
            if not 0 < limit <= 10:
                return self._error(400, "Invalid limit")
            if not q.get("q"):
                return self._error(400, "No search query")
            items = fake.tracks[offset:offset + limit]
            if q.get("market"):
                items = [t | {"is_playable": t["id"] not in fake.state.unplayable} for t in items]
            total = len(fake.tracks)
            nxt = f"{fake.url}/v1/search?offset={offset + limit}&limit={limit}" if offset + limit < total else None
            self._send(200, {"tracks": {"items": items, "limit": limit, "offset": offset, "total": total,
                                        "next": nxt}})

        def _my_playlists(self, method: str, q: dict, body: bytes) -> None:
            st = fake.state
            if method == "POST":
                data = json.loads(body or b"{}")
                if not data.get("name"):
                    return self._error(400, "Missing required field: name")
                pid = fake_id(len(st.playlists) + 100, "P")
                playlist = {"id": pid, "name": data["name"], "public": bool(data.get("public")),
                            "description": data.get("description") or "", "entries": [],
                            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{pid}"}}
                with fake.lock:
                    st.playlists[pid] = playlist
                return self._send(201, self._summary(playlist))
            limit, offset = int(q.get("limit", 20)), int(q.get("offset", 0))
            if not 0 < limit <= 50:
                return self._error(400, "Invalid limit")
            items = [self._summary(p) for p in list(st.playlists.values())[offset:offset + limit]]
            self._send(200, {"items": items, "total": len(st.playlists),
                             "next": None if offset + limit >= len(st.playlists) else "more"})

        @staticmethod
        def _summary(p: dict) -> dict:
            return {k: v for k, v in p.items() if k != "entries"} | {"items": {"total": len(p["entries"])},
                                                                    "tracks": None}

        def _playlist_items(self, method: str, pid: str, q: dict, body: bytes) -> None:
            playlist = fake.state.playlists.get(pid)
            if playlist is None:
                return self._error(404, "Not found")
            if method == "POST":
                data = json.loads(body or b"[]")
                uris = data if isinstance(data, list) else data.get("uris", [])
                if not uris or len(uris) > 100:
                    return self._error(400, "You can add a maximum of 100 items per request.")
                with fake.lock:
                    playlist["entries"].extend(uris)
                return self._send(201, {"snapshot_id": secrets.token_hex(8)})
            limit, offset = int(q.get("limit", 20)), int(q.get("offset", 0))
            uris = playlist["entries"][offset:offset + limit]
            items = [{"item": {"id": u.rsplit(":", 1)[-1], "uri": u, "type": "track"}, "track": None} for u in uris]
            self._send(200, {"items": items, "total": len(playlist["entries"]),
                             "next": None if offset + limit >= len(playlist["entries"]) else "more"})

    return Handler
