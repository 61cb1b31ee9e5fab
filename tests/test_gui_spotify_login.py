"""File → Connect Spotify… through the real window, the real spotipy client and the Spotify-speaking HTTP server
on 127.0.0.1 (tests/spotify_server.py): when no browser opens the window says so and gives the address to copy
(and the login still completes from it), Cancel ends a waiting login, and a timeout's explanation stays whole
in the login window."""
from __future__ import annotations

import threading

import pytest
import requests
from PySide6.QtGui import QGuiApplication

from emotune.gui.dialogs.spotify_login import NOT_OPENED, OPENED
from emotune.gui.services.music_service import CatalogMusic, SpotifyMusic
from tests.spotify_server import free_port

pytestmark = pytest.mark.slow
WAIT_MS = 60000


@pytest.fixture
def fake():
    from tests.spotify_server import FakeSpotify

    with FakeSpotify() as server:
        yield server


@pytest.fixture
def make_app(window_factory, classifier, dirs, fake):
    """The window with Spotify on the fake server; `open_url` plays the browser (False: none found)."""
    from emotune.music.spotify.auth import SecureTokenCache
    from emotune.music.spotify.client import SpotifyClient
    from emotune.music.spotify.config import SpotifyConfig

    def make(open_url, login_timeout_s: float = 180.0):
        config = SpotifyConfig(client_id=fake.state.client_id, redirect_port=free_port(),
                               api_base=f"{fake.url}/v1", accounts_base=fake.url, timeout_s=5.0,
                               login_timeout_s=login_timeout_s)
        client = SpotifyClient(config, SecureTokenCache.in_config(dirs.config), open_url=open_url)
        parts = window_factory(classifier=classifier, interval_ms=100, dirs=dirs,
                               music=SpotifyMusic(CatalogMusic(dirs), client))
        return parts, parts.window.status.network.text
    return make


def test_without_a_browser_the_login_window_says_so_and_the_copied_address_still_logs_in(make_app, qtbot):
    parts, network = make_app(open_url=lambda url: False)       # webbrowser.open: no browser found
    qtbot.waitUntil(lambda: "not connected" in network(), timeout=WAIT_MS)
    parts.window.spotify_action.trigger()
    dialog = parts.window.spotify_login
    qtbot.waitUntil(lambda: dialog.address.text().startswith("http"), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.message.text() == NOT_OPENED
    assert dialog.address.isVisible() and dialog.copy_button.isVisible()
    assert QGuiApplication.clipboard().text() == dialog.address.text()
    # the user pastes the address into a browser elsewhere: the login completes from it
    threading.Thread(target=requests.get, args=(dialog.address.text(),), kwargs={"timeout": 10}, daemon=True).start()
    qtbot.waitUntil(lambda: "Online: Spotify connected" in network(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert "Spotify connected as" in parts.window.status.currentMessage()


def test_cancel_ends_a_login_that_waits_for_the_browser(make_app, qtbot):
    parts, network = make_app(open_url=lambda url: True)        # a browser opened, nobody approves
    qtbot.waitUntil(lambda: "not connected" in network(), timeout=WAIT_MS)
    parts.window.spotify_action.trigger()
    dialog = parts.window.spotify_login
    qtbot.waitUntil(lambda: dialog.message.text() == OPENED, timeout=WAIT_MS)
    assert not dialog.address.isVisible()
    dialog.cancel_button.click()
    assert not dialog.isVisible()
    assert parts.window.status.currentMessage() == "Spotify login cancelled. Nothing was changed."
    qtbot.waitUntil(lambda: not parts.runners[2].busy(), timeout=WAIT_MS)   # the login job ended
    assert "not connected" in network()


def test_a_login_that_times_out_explains_it_whole_in_the_login_window(make_app, qtbot):
    parts, network = make_app(open_url=lambda url: True, login_timeout_s=0.5)
    qtbot.waitUntil(lambda: "not connected" in network(), timeout=WAIT_MS)
    parts.window.spotify_action.trigger()
    dialog = parts.window.spotify_login
    qtbot.waitUntil(lambda: dialog.close_button.isVisible(), timeout=WAIT_MS)
    text = dialog.message.toolTip()
    assert "not completed in time" in text and "redirect URI" in text
    assert dialog.message.text().replace("\u200b", "") == text
    qtbot.waitUntil(lambda: dialog.message.height() >= dialog.message.heightForWidth(dialog.message.width()))
    assert not dialog.cancel_button.isVisible()
    status = parts.window.status
    assert status.currentMessage() == text and (not status.message.is_elided() or status.message.toolTip() == text)
    dialog.close_button.click()
    assert not dialog.isVisible()
