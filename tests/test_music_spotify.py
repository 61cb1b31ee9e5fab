"""The real spotipy client, through emotune.music.spotify.client, against a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import json
import logging
import socket
import stat
import threading

import pytest
import requests
import spotipy

from emotune.music.spotify.auth import SecureTokenCache, redact
from emotune.music.spotify.client import SpotifyClient
from emotune.music.spotify.config import SpotifyConfig
from emotune.music.spotify.errors import (
    SpotifyAuthError,
    SpotifyError,
    SpotifyNotConfigured,
    SpotifyQuotaExceeded,
    SpotifyRateLimited,
    SpotifyRequestError,
    SpotifyUnavailable,
    status_text,
)
from tests.spotify_server import FakeSpotify, Fault, free_port


def browser(url: str) -> None:
    """Stands in for the user's browser: follows the authorize page's redirect back to the app."""
    requests.get(url, timeout=10)


@pytest.fixture
def fake():
    with FakeSpotify() as server:
        yield server
        assert server.removed_endpoint_calls() == []


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(fake: FakeSpotify, tmp_path, sleeps: list[float], **overrides) -> SpotifyClient:
    config = SpotifyConfig(client_id=fake.state.client_id, redirect_port=free_port(), api_base=f"{fake.url}/v1",
                           accounts_base=fake.url, timeout_s=overrides.pop("timeout_s", 5.0), **overrides)
    return SpotifyClient(config, SecureTokenCache(tmp_path / "config" / "spotify-token.json"),
                         open_url=browser, sleep=sleeps.append)


@pytest.fixture
def client(fake, tmp_path, sleeps) -> SpotifyClient:
    c = make_client(fake, tmp_path, sleeps)
    c.connect()
    return c


def test_pkce_login_stores_a_private_token_and_reads_the_user(fake, tmp_path, sleeps):
    c = make_client(fake, tmp_path, sleeps)
    assert not c.is_connected()
    user = c.connect()
    assert user.id == "tester" and user.country == "SE"
    assert c.is_connected()
    mode = stat.S_IMODE(c.cache.path.stat().st_mode)
    assert mode == 0o600
    (auth,) = fake.requests_to("/authorize")
    assert auth[2]["code_challenge_method"] == "S256"
    assert auth[2]["redirect_uri"].startswith("http://127.0.0.1:") and auth[2]["redirect_uri"].endswith("/callback")
    c.disconnect()
    assert not c.cache.path.exists() and not c.is_connected()
    with pytest.raises(SpotifyAuthError, match="not connected"):
        c.me()


def test_denied_login_is_a_clear_error_and_stores_nothing(fake, tmp_path, sleeps):
    fake.state.deny = True
    c = make_client(fake, tmp_path, sleeps)
    with pytest.raises(SpotifyAuthError) as info:
        c.connect()
    assert "refused" in str(info.value) and "Offline recommendations still work" in info.value.user_text
    assert not c.cache.path.exists()


def test_login_can_be_cancelled(fake, tmp_path, sleeps):
    cancel = threading.Event()
    config = SpotifyConfig(client_id=fake.state.client_id, redirect_port=free_port(), api_base=f"{fake.url}/v1",
                           accounts_base=fake.url)
    c = SpotifyClient(config, SecureTokenCache(tmp_path / "t.json"), open_url=lambda url: cancel.set())
    with pytest.raises(SpotifyAuthError, match="cancelled"):
        c.connect(cancel=cancel)


def test_wrong_client_id_stops_at_the_authorize_page(fake, tmp_path, sleeps):
    """Spotify's authorize page shows INVALID_CLIENT and never redirects back: the login times out saying
    what the page said and what to check."""
    c = make_client(fake, tmp_path, sleeps, login_timeout_s=1.0)
    fake.state.client_id = "someone-else"      # the app registered at Spotify is not the one in the settings
    with pytest.raises(SpotifyAuthError) as info:
        c.connect()
    assert info.value.message == "The Spotify login was not completed in time."
    assert "INVALID_CLIENT" in info.value.hint and c.config.redirect_uri in info.value.hint
    assert len(fake.requests_to("/authorize")) == 1 and fake.requests_to("/api/token") == []
    assert not c.cache.path.exists()


def test_wrong_client_id_at_the_token_exchange_is_a_clear_error(fake, tmp_path, sleeps):
    """The authorize page passes but the token endpoint refuses the client (invalid_client)."""
    c = make_client(fake, tmp_path, sleeps)
    fake.state.token_client_id = "someone-else"
    with pytest.raises(SpotifyAuthError) as info:
        c.connect()
    assert info.value.message == "Spotify did not accept the login (invalid_client)."
    assert "Check the Client ID" in info.value.hint and c.config.redirect_uri in info.value.hint
    (exchange,) = fake.requests_to("/api/token")
    assert exchange[0] == "POST" and len(fake.requests_to("/authorize")) == 1
    assert not c.cache.path.exists()


def test_missing_client_id_is_reported_before_any_network():
    with pytest.raises(SpotifyNotConfigured, match="Client ID"):
        SpotifyConfig(client_id="  ")


def test_search_pages_with_limit_at_most_ten_in_the_users_market(client, fake):
    tracks = client.search_tracks("calm acoustic evening", total=25)
    assert len(tracks) == 25 and len({t.id for t in tracks}) == 25
    calls = fake.requests_to("/v1/search")
    assert [int(q["limit"]) for _, _, q in calls] == [10, 10, 5]
    assert [int(q["offset"]) for _, _, q in calls] == [0, 10, 20]
    assert {q["market"] for _, _, q in calls} == {"SE"}


def test_the_server_enforces_the_limit_rule_for_plain_spotipy(client, fake):
    sp = spotipy.Spotify(auth=next(iter(fake.state.access)), requests_timeout=5, retries=0)
    sp.prefix = f"{fake.url}/v1/"
    with pytest.raises(spotipy.SpotifyException) as info:
        sp.search("x", limit=20)
    assert info.value.http_status == 400 and "Invalid limit" in info.value.msg


def test_market_falls_back_to_from_token_when_me_has_no_country(client, fake):
    fake.state.country = None
    client.disconnect()
    client.connect()
    client.search_tracks("x", total=3)
    assert fake.requests_to("/v1/search")[-1][2]["market"] == "from_token"


def test_short_retry_after_is_waited_out_by_us_not_by_urllib3(client, fake, sleeps):
    fake.add_fault("/v1/search", Fault(status=429, retry_after=2))
    assert len(client.search_tracks("x", total=3)) == 3
    assert sleeps == [2.0]
    assert len(fake.requests_to("/v1/search")) == 2


def test_long_retry_after_fails_fast_with_the_wait_in_the_message(client, fake, sleeps):
    fake.add_fault("/v1/search", Fault(status=429, retry_after=3600))
    with pytest.raises(SpotifyRateLimited) as info:
        client.search_tracks("x")
    assert info.value.retry_after_s == 3600 and "60 min" in str(info.value)
    assert sleeps == [] and len(fake.requests_to("/v1/search")) == 1


def test_quota_exceeded_is_reported_as_such(client, fake, sleeps):
    fake.add_fault("/v1/search", Fault(status=429, retry_after=1, reason="QUOTA_EXCEEDED"))
    with pytest.raises(SpotifyQuotaExceeded, match="QUOTA_EXCEEDED"):
        client.search_tracks("x")
    assert sleeps == []


def test_server_errors_are_retried_a_little_then_reported(client, fake):
    fake.add_fault("/v1/search", Fault(status=500))
    assert client.search_tracks("x", total=2)
    fake.add_fault("/v1/search", Fault(status=500), times=5)
    before = len(fake.requests_to("/v1/search"))
    with pytest.raises(SpotifyUnavailable, match="server error"):
        client.search_tracks("x", total=2)
    assert len(fake.requests_to("/v1/search")) - before == 3  # first try + 2 retries, then give up


def test_a_slow_reply_hits_the_timeout(fake, tmp_path, sleeps):
    c = make_client(fake, tmp_path, sleeps, timeout_s=0.5)
    c.connect()
    fake.add_fault("/v1/me", Fault(delay_s=2.0))
    with pytest.raises(SpotifyUnavailable, match="did not answer"):
        c.me()


def test_expired_token_is_refreshed_and_revoked_login_asks_to_reconnect(client, fake):
    fake.expire_tokens()
    assert client.me().id == "tester"
    assert fake.requests_to("/api/token")[-1][0] == "POST"
    fake.revoke_refresh_tokens()
    with pytest.raises(SpotifyAuthError, match="expired or was revoked"):
        client.me()


@pytest.mark.parametrize("status", [500, 503])
def test_a_token_endpoint_server_error_says_spotify_is_unavailable_and_keeps_the_login(client, fake, status):
    fake.expire_tokens()                              # the next call gets 401 and refreshes the token
    fake.add_fault("/api/token", Fault(status=status))
    with pytest.raises(SpotifyUnavailable) as info:
        client.me()
    text = status_text(info.value)
    assert f"unavailable (server error {status})" in text and "try again in a few minutes" in text
    assert "expired" not in text and "Connect Spotify again" not in text
    assert client.is_connected()
    assert client.me().id == "tester"                 # the service is back: the same login works


def test_a_busy_token_endpoint_says_to_try_later_not_to_log_in_again(client, fake, sleeps):
    fake.expire_tokens()
    fake.add_fault("/api/token", Fault(status=429, retry_after=300))
    with pytest.raises(SpotifyRateLimited) as info:
        client.me()
    text = status_text(info.value)
    assert "login service is busy" in text and "try again in 5 min" in text and "expired" not in text
    assert info.value.retry_after_s == 300 and sleeps == [] and client.is_connected()


def test_a_search_answer_that_is_not_json_is_a_clear_error_not_an_empty_list(client, fake):
    fake.add_fault("/v1/search", Fault(body="<html><body>Upstream proxy error</body></html>"))
    with pytest.raises(SpotifyUnavailable) as info:
        client.search_tracks("calm acoustic evening")
    assert "search sent an answer EmoTune cannot read" in status_text(info.value)
    assert "Offline recommendations still work" in status_text(info.value)
    fake.add_fault("/v1/search", Fault(body='{"tracks": "none"}'))
    with pytest.raises(SpotifyUnavailable, match="cannot read"):
        client.search_tracks("calm acoustic evening")
    assert len(client.search_tracks("calm acoustic evening", total=3)) == 3   # a good answer is read again


def test_save_as_playlist_uses_the_2026_endpoints(client, fake):
    ids = [t["id"] for t in fake.tracks[:3]] + ["not-an-id"]
    saved = client.save_playlist("EmoTune: calm", ids, description="for a sad, tired mood")
    assert saved.added == 3 and saved.url.startswith("https://open.spotify.com/playlist/")
    assert client.playlist_track_ids(saved.id) == ids[:3]
    assert [(m, p) for m, p, _ in fake.requests_to("/v1/") if m == "POST"] == [
        ("POST", "/v1/me/playlists"), ("POST", f"/v1/playlists/{saved.id}/items")]
    assert ("EmoTune: calm", saved.id) in [(name, pid) for pid, name, _ in client.playlists()]


def test_availability_marks_tracks_not_playable_in_the_market(client, fake):
    good, bad = fake.tracks[0]["id"], fake.tracks[1]["id"]
    fake.state.unplayable.add(bad)
    assert client.availability([good, bad, "x" * 22]) == {good: True, bad: False, "x" * 22: False}


def test_unreachable_spotify_is_a_status_line_not_a_crash(tmp_path, sleeps):
    port = free_port()
    config = SpotifyConfig(client_id="abc", api_base=f"http://127.0.0.1:{port}/v1",
                           accounts_base=f"http://127.0.0.1:{port}", timeout_s=2)
    cache = SecureTokenCache(tmp_path / "t.json")
    cache.save_token_to_cache({"access_token": "a", "refresh_token": "r", "expires_at": 2**40,
                               "scope": " ".join(config.scopes)})
    c = SpotifyClient(config, cache, open_url=browser, sleep=sleeps.append)
    with pytest.raises(SpotifyUnavailable) as info:
        c.search_tracks("x")
    assert "Cannot reach Spotify" in status_text(info.value)
    assert isinstance(info.value, SpotifyError)


def test_bad_request_is_a_typed_error(client):
    with pytest.raises(SpotifyRequestError):
        client.save_playlist("x", ["bad"])


def test_no_token_or_code_reaches_the_log_even_at_debug(fake, tmp_path, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    c = make_client(fake, tmp_path, sleeps)
    c.connect()
    c.search_tracks("calm", total=3)
    fake.expire_tokens()
    c.me()                                       # refresh: spotipy logs the token request body at DEBUG
    assert len(fake.state.secrets) >= 5 and "Authorization" in caplog.text and "<redacted>" in caplog.text
    leaked = [s for s in fake.state.secrets if s in caplog.text]
    assert leaked == []
    assert fake.state.secrets[-1] in c.cache.path.read_text()    # the cache (0600) does hold the login


def test_redact_covers_headers_bodies_and_query_strings():
    out = redact("Headers: {'Authorization': 'Bearer abc.DEF-123'} Body: {'refresh_token': 'r3frsh', "
                 "'code': 'xyz', 'code_verifier': 'v-v'} GET /callback?code=QQQ&state=s")
    for secret in ("abc.DEF-123", "r3frsh", "xyz", "v-v", "QQQ"):
        assert secret not in out
    assert "state=s" in out


def test_forbidden_says_to_add_the_user_to_the_app(client, fake):
    fake.add_fault("/v1/search", Fault(status=403))
    with pytest.raises(SpotifyRequestError) as info:
        client.search_tracks("x")
    assert info.value.status == 403 and "User Management" in info.value.hint


def test_a_busy_redirect_port_is_a_clear_error(fake, tmp_path, sleeps):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        config = SpotifyConfig(client_id=fake.state.client_id, redirect_port=busy.getsockname()[1],
                               api_base=f"{fake.url}/v1", accounts_base=fake.url)
        c = SpotifyClient(config, SecureTokenCache(tmp_path / "t.json"), open_url=browser, sleep=sleeps.append)
        with pytest.raises(SpotifyAuthError, match="busy") as info:
            c.connect()
    assert "redirect port" in info.value.hint


def test_an_old_world_readable_cache_is_made_private(tmp_path):
    path = tmp_path / "spotify-token.json"
    path.write_text('{"access_token": "a", "refresh_token": "r", "expires_at": 1099511627776}')
    path.chmod(0o644)
    cache = SecureTokenCache(path)
    assert cache.get_cached_token()["access_token"] == "a"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    cache.save_token_to_cache({"access_token": "a", "refresh_token": "r", "expires_at": 2**40})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and cache.get_cached_token()["access_token"] == "a"
    path.write_text("not json")
    assert cache.get_cached_token() is None          # a damaged cache means "not connected", not a crash


def test_a_token_cache_spotipy_could_not_use_means_log_in_again(tmp_path, caplog):
    """spotipy reads expires_at and splits scope before every request: a cache without them, or with other
    types, would fail there, mid-request. It is ignored (logged once), as if nobody had logged in."""
    path = tmp_path / "spotify-token.json"
    cache = SecureTokenCache(path)
    for bad in ({"access_token": "a", "refresh_token": "r"}, {"access_token": "a", "expires_at": "soon"},
                {"access_token": "a", "expires_at": 2**40, "scope": 7}, {"access_token": 5, "expires_at": 2**40},
                ["access_token"]):
        path.write_text(json.dumps(bad))
        path.chmod(0o600)
        caplog.clear()
        assert cache.get_cached_token() is None, bad
        assert [r.getMessage() for r in caplog.records] == [
            f"ignoring a Spotify token cache {path} that does not hold a login"]


def test_a_login_lost_under_a_running_client_never_prompts_on_stdin(client, monkeypatch):
    """spotipy's fallback is input() on stdin; a worker thread would wait there forever."""
    monkeypatch.setattr("builtins.input", lambda *a: pytest.fail("spotipy prompted on stdin"))
    client.cache.delete()                       # e.g. "disconnect" pressed while a search starts
    with pytest.raises(SpotifyAuthError, match="not connected"):
        client._sp.current_user()               # straight into spotipy, past our own has_login check


def test_phrases_resolve_in_order_without_duplicates_and_me_is_asked_once(client, fake):
    tracks = client.resolve_phrases(["rainy day piano", "  ", "rainy day piano", "slow acoustic"], per_phrase=4)
    assert len(tracks) == len({t.id for t in tracks}) == 4      # the fake returns the same first tracks
    assert [q["q"] for _, _, q in fake.requests_to("/v1/search")] == ["rainy day piano"] * 2 + ["slow acoustic"]
    assert len(fake.requests_to("/v1/me")) == 1 + 1             # connect() reads the user; the market is cached
    assert all(t.title.startswith("Song ") and t.artists and t.year for t in tracks)


def test_search_results_never_repeat_a_song_the_list_holds(client, fake):
    """Spotify's hits join the catalog's list on top; another id of a listed song (a remaster, a feat. variant)
    is left out, so the window never shows one song twice."""
    from emotune.gui.services.interfaces import TrackItem
    from emotune.gui.services.music_service import CatalogMusic, SpotifyMusic
    from emotune.gui.settings import Preferences
    from tests.spotify_server import fake_id

    listed = (TrackItem("0" * 22, "Song 1 - Remastered 2011", "Artist 1, Someone", "", "", ""),)
    hits = SpotifyMusic(CatalogMusic(), client)._search(["rainy day piano"], Preferences(), listed)
    ids = [t.track_id for t in hits]
    assert fake_id(1) not in ids and ids == [fake_id(i) for i in (0, 2, 3, 4)]
