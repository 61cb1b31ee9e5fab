"""The window with its real engines (pytest-qt, offscreen): the local GGUF through llama-cpp-python streaming
its analysis, the offline catalog's tracks, the mood journal recording moods, tracks and likes (and the likes
reaching the next recommendation), a corrupt GGUF falling back to the summary, a model picked in Settings,
and Spotify through the real spotipy client against a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import functools
import threading

import pytest
import requests

from conftest import with_prompt_state
from emotune.core.mood import MoodSnapshot
from emotune.gui import settings as keys
from emotune.gui.services import engines
from emotune.gui.services.interfaces import AnalysisView, SummaryAnalyst
from emotune.gui.services.llm_service import LlmAnalyst
from emotune.gui.services.music_service import CatalogMusic, SpotifyMusic
from emotune.gui.settings import Settings
from emotune.resources import asset_path, models_dir
from tests.spotify_server import FakeSpotify, Fault, free_port

pytestmark = pytest.mark.slow
WAIT_MS = 120000
GGUF = models_dir() / "SmolLM2-135M-Instruct.Q4_1.gguf"
SAMPLE = str(asset_path("sample_faces.jpg"))


@pytest.fixture
def make_app(window_factory, classifier, dirs):
    return functools.partial(window_factory, classifier=classifier, interval_ms=100, dirs=dirs)


def capture(parts, qtbot):
    """Starts the sample, waits for a detected mood, presses "Capture mood", returns the TrackBatch."""
    parts.window.start(SAMPLE)
    qtbot.waitUntil(lambda: parts.session.latest is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bool(parts.session.analyst_name), timeout=WAIT_MS)
    with qtbot.waitSignal(parts.session.tracks_ready, timeout=WAIT_MS) as blocker:
        parts.window.controls.capture_action.trigger()
    return blocker.args[0]


def test_catalog_tracks_and_the_local_llm_stream_into_the_window(make_app, qtbot, dirs, window_prompt_state):
    if not GGUF.is_file():
        pytest.skip(f"the default GGUF is not at {GGUF} (make install fetches it)")
    with_prompt_state(dirs.cache.parent, window_prompt_state)    # an earlier run's evaluated prompt, restored
    parts = make_app()
    assert isinstance(parts.session.music, CatalogMusic)
    assert parts.window.status.network.text().endswith("Offline: music from the built-in catalog")
    streamed = []
    parts.session.analysis_text.connect(streamed.append)
    batch = capture(parts, qtbot)
    assert parts.session.analyst_name == GGUF.name
    assert GGUF.name in parts.window.status.models.toolTip()   # the file: on hover
    # the analysis keeps only search phrases the catalog backs for the mood (music.lists.phrase_search)
    assert parts.session.analyst.phrase_check is parts.phrase_check
    assert parts.phrase_check("happy pop", 0.5) is True and parts.phrase_check("qwxz zzkq", 0.5) is False
    view = parts.session.analysis
    assert view.source == "llm" and view.text.strip(), view.note     # the model wrote it, not the fallback
    assert parts.window.analysis.plain_text().strip() == view.text.strip()
    # the text grew on screen while the model wrote it (a retry starts it again)
    assert any(b.startswith(a) and len(b) > len(a) for a, b in zip(streamed, streamed[1:])), streamed
    assert batch.source == "offline catalog" and len(batch.tracks) == 10
    assert all(t.url == f"https://open.spotify.com/track/{t.track_id}" and t.reason for t in batch.tracks)
    assert len({t.artist for t in batch.tracks}) == 10
    rows = parts.window.tracks.rows()
    assert [r.track for r in rows] == list(batch.tracks)
    # refresh brings other tracks for the same mood
    with qtbot.waitSignal(parts.session.tracks_ready, timeout=WAIT_MS) as again:
        parts.window.tracks.refresh_button.click()
    assert not {t.track_id for t in again.args[0].tracks} & {t.track_id for t in batch.tracks}


def test_closing_the_window_while_the_prompt_is_evaluated_stops_llama_cpp(make_app, qtbot, dirs):
    """The model's prompt warm-up takes seconds here and minutes with a 7B model: closing the window then
    stops llama.cpp mid-evaluation, joins every thread and saves no half-evaluated prompt."""
    if not GGUF.is_file():
        pytest.skip(f"the default GGUF is not at {GGUF} (make install fetches it)")
    stages: list[str] = []
    parts = make_app()
    parts.session.analyst_loading.connect(stages.append)
    parts.window.start(SAMPLE)
    qtbot.waitUntil(lambda: any("preparing the analysis prompt" in s for s in stages), timeout=WAIT_MS)
    parts.window.close()
    qtbot.waitUntil(lambda: parts.threads_running() == [], timeout=WAIT_MS)
    assert not parts.session.analyst_name                  # it never became ready
    assert not list((dirs.cache / "llm").glob("*.prompt-state"))


def _with_a_corrupt_gguf(make_app, qtbot, tmp_path, dirs):
    """A window whose chosen model file is corrupt, after one capture; returns (parts, settings)."""
    broken = tmp_path / "models" / "broken.gguf"
    broken.parent.mkdir()
    broken.write_bytes(b"GGUF" + b"\0" * 2_000_000)
    settings = Settings.at(tmp_path / "settings.ini")
    settings.set(keys.LLM_MODEL_PATH, str(broken))
    analyst = engines.make_analyst(settings.preferences(), dirs, model_dirs=[broken.parent])
    parts = make_app(settings=settings, analyst=analyst)
    notices = []
    parts.session.notice.connect(notices.append)
    capture(parts, qtbot)
    assert parts.session.analyst_name == "no language model"
    assert any("Language model not loaded" in n and "Settings" in n for n in notices), notices
    return parts, settings


def test_a_corrupt_gguf_falls_back_to_the_summary_and_says_why(make_app, qtbot, tmp_path, dirs):
    parts, _ = _with_a_corrupt_gguf(make_app, qtbot, tmp_path, dirs)
    view = parts.session.analysis
    assert view.source == "summary" and view.text and "broken.gguf" in view.note
    assert "broken.gguf" in parts.window.analysis.source_label.text()
    assert parts.window.isVisible()


def test_after_a_corrupt_gguf_a_model_picked_in_settings_loads_and_analyses(make_app, qtbot, tmp_path, dirs):
    if not GGUF.is_file():
        pytest.skip(f"the default GGUF is not at {GGUF} (make install fetches it)")
    parts, settings = _with_a_corrupt_gguf(make_app, qtbot, tmp_path, dirs)
    assert parts.session.analysis.source == "summary"
    # the user picks a working model in Settings: it loads in the background and the next analysis uses it
    settings.set(keys.LLM_MODEL_PATH, str(GGUF))
    with qtbot.waitSignal(parts.session.analyst_ready, timeout=WAIT_MS) as ready:
        parts.window.settings_saved.emit()
    assert ready.args[0] == GGUF.name
    with qtbot.waitSignal(parts.session.analysis_done, timeout=WAIT_MS) as done:
        parts.window.controls.capture_action.trigger()
    assert done.args[0].source == "llm" and done.args[0].text.strip(), done.args[0].note
    assert GGUF.name in parts.window.status.models.toolTip()   # the file: on hover


def test_the_journal_records_the_session_and_likes_lift_the_track_next_time(make_app, qtbot, dirs):
    parts = make_app(journal=True)
    bridge, view = parts.journal, parts.window.journal_view
    assert view is not None and parts.window.tabs.tabText(1) == "Journal"
    qtbot.waitUntil(lambda: bridge.store is not None, timeout=WAIT_MS)
    batch = capture(parts, qtbot)
    mood = parts.session.captured_mood.dominant
    liked, dropped = batch.tracks[3], batch.tracks[4]
    rows = parts.window.tracks.rows()
    with qtbot.waitSignal(bridge.written, timeout=WAIT_MS, check_params_cb=lambda what: what == "feedback"):
        rows[3].feedback_buttons["like"].click()
    with qtbot.waitSignal(bridge.written, timeout=WAIT_MS, check_params_cb=lambda what: what == "feedback"):
        rows[4].feedback_buttons["not_for_mood"].click()
    assert rows[3].vote() == "like" and not rows[3].feedback_buttons["skip"].isEnabled()
    boosts = bridge.store.boosts_for(mood)
    assert boosts.tracks.get(liked.track_id, 0) > 0 and dropped.track_id in boosts.excluded
    # the next list for this mood puts the liked track first, says why, and leaves the dropped one out
    with qtbot.waitSignal(parts.session.tracks_ready, timeout=WAIT_MS) as again:
        parts.session.recommend(refresh=False)
    ids = [t.track_id for t in again.args[0].tracks]
    assert liked.track_id in ids and dropped.track_id not in ids
    assert "liked" in again.args[0].tracks[ids.index(liked.track_id)].reason
    # the Journal tab shows the mood samples and the liked track under its mood
    qtbot.waitUntil(lambda: bridge.store.counts()["snapshots"] >= 1, timeout=WAIT_MS)
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS) as loaded:
        parts.window.tabs.setCurrentWidget(view)
    data = loaded.args[0]
    assert [t.track_id for t in data.liked[mood]] == [liked.track_id]
    assert data.counts["tracks_shown"] >= 20 and data.counts["analyses"] >= 1
    parts.window.close()
    counts = bridge.store.counts() if bridge.store else None
    assert counts is None   # closed with the window
    from emotune.journal import JournalStore

    with JournalStore.open(dirs) as store:
        sessions = store.rows("sessions")
        assert sessions and all(s["ended_at"] for s in sessions)


def test_a_journal_that_cannot_be_opened_is_a_status_line_and_the_window_keeps_working(make_app, qtbot, dirs):
    (dirs.data / "journal.sqlite3").mkdir(parents=True)      # a folder where the file should be
    parts = make_app(journal=True)
    problems = []
    parts.journal.problem.connect(problems.append)
    batch = capture(parts, qtbot)
    qtbot.waitUntil(lambda: bool(problems), timeout=WAIT_MS)
    assert batch.tracks and parts.window.isVisible()
    assert parts.window.journal_view.status.text() == problems[0]   # the tab says why it is empty


def test_spotify_login_from_the_menu_then_search_results_join_the_catalog(make_app, qtbot, dirs):
    if not GGUF.is_file():
        pytest.skip("needs the default GGUF for search phrases")
    from emotune.music.spotify.auth import SecureTokenCache
    from emotune.music.spotify.client import SpotifyClient
    from emotune.music.spotify.config import SpotifyConfig

    with FakeSpotify() as fake:
        config = SpotifyConfig(client_id=fake.state.client_id, redirect_port=free_port(), api_base=f"{fake.url}/v1",
                               accounts_base=fake.url, timeout_s=5.0)
        client = SpotifyClient(config, SecureTokenCache.in_config(dirs.config),
                               open_url=lambda url: requests.get(url, timeout=10))
        music = SpotifyMusic(CatalogMusic(dirs), client)
        parts = make_app(music=music)
        qtbot.waitUntil(lambda: "not connected" in parts.window.status.network.text(), timeout=WAIT_MS)
        parts.window.spotify_action.trigger()
        qtbot.waitUntil(lambda: "Online: Spotify connected" in parts.window.status.network.text(), timeout=WAIT_MS)
        batch = capture(parts, qtbot)
        spotify = [t for t in batch.tracks if t.reason.startswith("Found on Spotify")]
        assert spotify and batch.source == "Spotify and the offline catalog"
        assert fake.requests_to("/v1/search")
        parts.window.close()


def test_a_damaged_catalog_is_a_message_in_the_track_list_and_the_window_keeps_working(make_app, qtbot, tmp_path,
                                                                                       dirs):
    broken = tmp_path / "broken.emocat"
    broken.write_bytes(b"EMOCAT1\n\x00\x00")
    parts = make_app(music=CatalogMusic(dirs, broken))
    parts.window.start(SAMPLE)
    qtbot.waitUntil(lambda: parts.session.latest is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(parts.session.tracks_failed, timeout=WAIT_MS) as failed:
        parts.window.controls.capture_action.trigger()
    assert "broken.emocat" in failed.args[0] and "emotune catalog import" in failed.args[0]
    assert failed.args[0] in parts.window.tracks.note.text()
    qtbot.waitUntil(lambda: parts.session.analysis is not None, timeout=WAIT_MS)
    assert parts.window.isVisible() and parts.window.view.frames_shown > 0


def test_spotify_down_is_a_note_over_a_full_offline_list(make_app, qtbot, dirs):
    if not GGUF.is_file():
        pytest.skip("needs the default GGUF for search phrases")
    from emotune.music.spotify.auth import SecureTokenCache
    from emotune.music.spotify.client import SpotifyClient
    from emotune.music.spotify.config import SpotifyConfig

    port = free_port()   # nothing listens there: Spotify is unreachable
    config = SpotifyConfig(client_id="abc", redirect_port=free_port(), api_base=f"http://127.0.0.1:{port}/v1",
                           accounts_base=f"http://127.0.0.1:{port}", timeout_s=2)
    cache = SecureTokenCache.in_config(dirs.config)
    cache.save_token_to_cache({"access_token": "a", "refresh_token": "r", "expires_at": 2**40,
                               "scope": " ".join(config.scopes)})
    parts = make_app(music=SpotifyMusic(CatalogMusic(dirs), SpotifyClient(config, cache)))
    qtbot.waitUntil(lambda: "Online: Spotify connected" in parts.window.status.network.text(), timeout=WAIT_MS)
    batch = capture(parts, qtbot)
    assert len(batch.tracks) == 10 and batch.source == "offline catalog"
    assert "Cannot reach Spotify" in batch.note and "Offline recommendations still work" in batch.note
    assert "Spotify unavailable" in parts.window.status.network.text()
    assert "Cannot reach Spotify" in parts.window.tracks.note.text()


def test_the_journal_switch_in_settings_closes_and_reopens_it(make_app, qtbot):
    parts = make_app(journal=True, analyst=SummaryAnalyst())
    bridge, view = parts.journal, parts.window.journal_view
    qtbot.waitUntil(lambda: bridge.store is not None, timeout=WAIT_MS)   # open in the pool; the tab may not know yet
    parts.settings.set(keys.JOURNAL_ENABLED, False)
    with qtbot.waitSignal(bridge.closed, timeout=WAIT_MS):
        parts.window.settings_saved.emit()
    assert bridge.store is None and view.store is None and "journal is off" in view.status.text()
    assert not view.delete_all_btn.isEnabled()
    parts.settings.set(keys.JOURNAL_ENABLED, True)
    with qtbot.waitSignal(bridge.opened, timeout=WAIT_MS):
        parts.window.settings_saved.emit()
    assert view.store is bridge.store and view.delete_all_btn.isEnabled()


class RequestRecorder(LlmAnalyst):
    """The real LlmAnalyst translation (llm_request) with the model call replaced by a note of the request."""

    def __init__(self) -> None:
        super().__init__(factory=lambda: None)
        self.requests = []

    def load(self, progress, cancel=None) -> str:
        return "request recorder"

    def analyze(self, request, on_text, cancel):
        assert threading.current_thread() is not threading.main_thread()   # the journal is read in the LLM pool
        self.requests.append(self.llm_request(request))
        return AnalysisView("You looked happy.", "llm", "happy")


def test_the_analysis_gets_the_journal_days_only_when_the_user_allows_it(make_app, qtbot, dirs):
    import datetime as dt

    from emotune.journal import JournalStore
    from emotune.llm.prompt import describe_measurements

    yesterday = dt.datetime.combine(dt.date.today() - dt.timedelta(days=1), dt.time(12)).timestamp()
    with JournalStore.open(dirs) as store:
        sid = store.start_session("camera 0", ts=yesterday)
        for i in range(4):
            store.record_snapshot(MoodSnapshot.manual_mood("sad"), sid, ts=yesterday + 5 * i)
    analyst = RequestRecorder()
    parts = make_app(journal=True, analyst=analyst)
    qtbot.waitUntil(lambda: parts.journal.store is not None, timeout=WAIT_MS)

    def analysed(emotion: str):
        with qtbot.waitSignal(parts.session.analysis_done, timeout=WAIT_MS):
            parts.session.set_manual(emotion)
        return analyst.requests[-1]

    assert not parts.settings.get(keys.JOURNAL_IN_ANALYSIS)   # off unless the user turns it on
    off = analysed("happy")
    assert off.journal == () and "journal" not in describe_measurements(off).lower()
    parts.settings.set(keys.JOURNAL_IN_ANALYSIS, True)
    parts.window.settings_saved.emit()
    on = analysed("neutral")
    assert [(d.days_ago, d.dominant) for d in on.journal] == [(1, "sad")] and on.journal[0].valence < 0
    assert "yesterday mostly sad" in describe_measurements(on)
    # allowed, but the journal itself switched off: nothing is read
    parts.settings.set(keys.JOURNAL_ENABLED, False)
    with qtbot.waitSignal(parts.journal.closed, timeout=WAIT_MS):
        parts.window.settings_saved.emit()
    assert analysed("happy").journal == ()


def test_spotify_marks_unavailable_tracks_saves_a_playlist_and_disconnects(make_app, qtbot, dirs):
    """Issue 6's Spotify actions through the real window, the real spotipy and FakeSpotify on 127.0.0.1."""
    from emotune.music.spotify.auth import SecureTokenCache
    from emotune.music.spotify.client import SpotifyClient
    from emotune.music.spotify.config import SpotifyConfig

    with FakeSpotify() as fake:
        fake.state.any_track = True     # the catalog's track ids exist on this Spotify
        config = SpotifyConfig(client_id=fake.state.client_id, redirect_port=free_port(), api_base=f"{fake.url}/v1",
                               accounts_base=fake.url, timeout_s=5.0)
        cache = SecureTokenCache.in_config(dirs.config)
        client = SpotifyClient(config, cache, open_url=lambda url: requests.get(url, timeout=10))
        parts = make_app(music=SpotifyMusic(CatalogMusic(dirs), client), analyst=SummaryAnalyst())
        window, tracks = parts.window, parts.window.tracks
        qtbot.waitUntil(lambda: "not connected" in window.status.network.text(), timeout=WAIT_MS)
        assert not tracks.save_button.isEnabled() and not window.disconnect_action.isEnabled()
        window.spotify_action.trigger()
        qtbot.waitUntil(lambda: "Online: Spotify connected" in window.status.network.text(), timeout=WAIT_MS)
        assert window.disconnect_action.isEnabled() and cache.path.is_file()
        first = capture(parts, qtbot)
        assert len(first.tracks) == 10 and not any(t.unavailable for t in first.tracks)
        assert tracks.save_button.isEnabled()
        assert {r[1].rsplit("/", 1)[-1] for r in fake.requests_to("/v1/tracks/")} == {t.track_id for t in first.tracks}

        # two tracks are not playable in the user's market: same list, those two greyed with a note
        gone = {first.tracks[2].track_id, first.tracks[5].track_id}
        fake.state.unplayable = set(gone)
        with qtbot.waitSignal(parts.session.tracks_ready, timeout=WAIT_MS) as again:
            parts.session.recommend(refresh=False)
        batch = again.args[0]
        assert [t.track_id for t in batch.tracks] == [t.track_id for t in first.tracks]
        assert {t.track_id for t in batch.tracks if t.unavailable} == gone
        assert "2 tracks are not available in your Spotify market" in tracks.note.text()
        rows = tracks.rows()
        assert not rows[2].play_button.isEnabled() and rows[3].play_button.isEnabled()
        assert "market" in rows[5].toolTip()
        playable = [t.track_id for t in batch.tracks if t.track_id not in gone]
        assert tracks.playable_ids() == playable

        # Save as playlist: a private playlist with the playable tracks, in order, and a link in the status bar
        tracks.save_button.click()
        qtbot.waitUntil(lambda: window.status.link.isVisible(), timeout=WAIT_MS)
        (saved,) = fake.state.playlists.values()
        mood = parts.session.captured_mood.dominant.capitalize()
        assert saved["name"].startswith(f"EmoTune – {mood} – ") and saved["public"] is False
        assert saved["entries"] == [f"spotify:track:{t}" for t in playable]
        assert saved["external_urls"]["spotify"] in window.status.link.text()
        assert "Saved" in window.status.currentMessage() and "8 tracks" in window.status.currentMessage()
        assert not fake.removed_endpoint_calls()
        qtbot.waitUntil(tracks.save_button.isEnabled, timeout=WAIT_MS)

        # a Spotify error while saving is a clear message; nothing is lost
        fake.add_fault("/v1/me/playlists", Fault(status=500))
        tracks.save_button.click()
        qtbot.waitUntil(lambda: "not saved" in window.status.currentMessage(), timeout=WAIT_MS)
        assert "server error (500)" in window.status.currentMessage()
        assert len(fake.state.playlists) == 1 and len(tracks.rows()) == 10
        qtbot.waitUntil(tracks.save_button.isEnabled, timeout=WAIT_MS)

        # Disconnect: the stored login is deleted, the status bar says offline, lists come from the catalog
        window.disconnect_action.trigger()
        qtbot.waitUntil(lambda: "not connected" in window.status.network.text(), timeout=WAIT_MS)
        assert not cache.path.exists() and not tracks.save_button.isEnabled()
        assert not window.disconnect_action.isEnabled() and "disconnected" in window.status.currentMessage()
        asked = len(fake.state.log)
        with qtbot.waitSignal(parts.session.tracks_ready, timeout=WAIT_MS) as offline:
            parts.window.tracks.refresh_button.click()
        assert len(offline.args[0].tracks) == 10 and not any(t.unavailable for t in offline.args[0].tracks)
        assert "not connected" in offline.args[0].note and len(fake.state.log) == asked
        parts.window.close()
