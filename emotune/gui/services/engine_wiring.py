"""Keeps the engines in step with the window: Settings changes (model file, Spotify, journal), the Spotify
login, disconnect and "Save as playlist" actions, and the online/offline text.

Everything here runs on the GUI thread; the work itself runs in the task pools (Spotify's calls in the music
pool, after any list being built), and its results come back to these methods as the pools' callbacks.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from emotune.appdirs import AppDirs
from emotune.core.errors import user_text
from emotune.gui import settings as keys
from emotune.gui.services.engines import (
    make_analyst,
    make_music,
    network_status,
    plug_feedback,
    plug_journal,
    plug_phrases,
)


class EngineWiring:
    """Connects the window's Settings and Spotify actions to the session's engines (see the module docstring).
    `parts` is the app's Parts; the makers are injected so tests can count or replace the engines."""

    def __init__(self, parts, dirs: AppDirs, make_analyst_: Callable = make_analyst,
                 make_music_: Callable = make_music) -> None:
        self.parts, self.dirs = parts, dirs
        self.window, self.session, self.settings = parts.window, parts.session, parts.settings
        self._make_analyst, self._make_music = make_analyst_, make_music_
        self._misc = parts.runners[-1]
        self._music_pool = next((r for r in parts.runners if r.name == "music"), self._misc)
        self._prefs = self.settings.preferences()
        self._journal_on = self.settings.get(keys.JOURNAL_ENABLED)

        window = self.window
        window.settings_saved.connect(self.on_settings_saved)
        window.spotify_connect_requested.connect(self.connect_spotify)
        window.spotify_disconnect_requested.connect(self.disconnect_spotify)
        window.tracks.save_requested.connect(self.save_playlist)
        self.session.tracks_ready.connect(self.show_network)
        self.session.tracks_failed.connect(self.show_network)
        self.show_network()
        self.check_spotify()

    def show_network(self, *_args) -> None:
        """The status bar's online/offline text, and the Spotify actions that need a connection."""
        text, online = network_status(self.session.music)
        self.window.status.set_network(text, online)
        self.window.tracks.set_can_save(online and hasattr(self.session.music, "save_playlist"))
        self.window.disconnect_action.setEnabled(online and hasattr(self.session.music, "disconnect"))

    def check_spotify(self) -> None:
        music = self.session.music
        if hasattr(music, "check"):
            self._misc.run(lambda report, cancel: music.check(), on_done=self.show_network,
                           on_error=lambda exc: self.show_network())

    def on_settings_saved(self) -> None:
        """Replaces only the engines whose settings changed: a new model file, a new Spotify app, the journal
        switched on or off."""
        parts, session = self.parts, self.session
        old, new = self._prefs, self.settings.preferences()
        self._prefs = new
        if new.llm_model_path != old.llm_model_path:
            session.set_analyst(self._make_analyst(new, self.dirs, genres=parts.genres))
            plug_journal(session.analyst, parts.journal)
            plug_phrases(session.analyst, parts.phrase_check)
            session.load_analyst()
        if (new.spotify_client_id, new.spotify_redirect_port) != (old.spotify_client_id, old.spotify_redirect_port):
            session.music = self._make_music(new, self.dirs)
            plug_feedback(session.music, parts.journal)
            self.show_network()
            self.check_spotify()
        journal_on = self.settings.get(keys.JOURNAL_ENABLED)
        if journal_on != self._journal_on and parts.journal is not None:
            self._journal_on = journal_on
            if not journal_on and self.window.journal_view is not None:
                self.window.journal_view.set_store(None)   # no query may start on a store about to close
            parts.journal.set_enabled(journal_on)

    def connect_spotify(self) -> None:
        """The login: a dialog says where to log in (the browser opens), Cancel gives up."""
        window, music = self.window, self.session.music
        if not hasattr(music, "connect"):
            window.status.showMessage("Enter your own Spotify Client ID in Settings first (Ctrl+,); the guide "
                                      "there explains how to create one.", 10000)
            window.open_settings()
            return
        dialog = window.open_spotify_login()
        window.status.showMessage("Connecting Spotify: approve EmoTune in your browser…", 30000)

        def done(user) -> None:
            dialog.accept()
            window.status.showMessage(f"Spotify connected as {user.display_name}.", 8000)
            self.show_network()

        def failed(exc: Exception) -> None:
            text = user_text(exc, "Spotify login failed")
            dialog.show_failure(text)
            window.status.showMessage(text, 15000)
            self.show_network()

        def cancelled() -> None:   # a cancelled job reports nothing more: the window says it at once
            dialog.accept()
            window.status.showMessage("Spotify login cancelled. Nothing was changed.", 8000)
            self.show_network()

        def job(report, cancel):
            return music.connect(cancel, on_url=lambda url, opened: report((url, opened)))

        handle = self._misc.run(job, on_done=done, on_error=failed,
                                on_progress=lambda value: dialog.show_url(*value))
        dialog.cancel_requested.connect(handle.cancel)
        dialog.cancel_requested.connect(cancelled)
        dialog.show()

    def disconnect_spotify(self) -> None:
        """Deletes the stored login; the lists come from the offline catalog again."""
        window, music = self.window, self.session.music
        if not hasattr(music, "disconnect"):
            return

        def done(_result) -> None:
            window.status.showMessage("Spotify disconnected: the login stored on this computer is deleted. "
                                      "Tracks come from the offline catalog.", 10000)
            self.show_network()

        def failed(exc: Exception) -> None:
            window.status.showMessage(f"Could not delete the Spotify login: {exc}", 15000)
            self.show_network()

        window.disconnect_action.setEnabled(False)
        self._music_pool.run(lambda report, cancel: music.disconnect(), on_done=done, on_error=failed)

    def save_playlist(self) -> None:
        """The shown list as a new playlist in the user's Spotify account, one save at a time."""
        from emotune.gui.services.music_service import playlist_name

        window, session = self.window, self.session
        music, ids = session.music, window.tracks.playable_ids()
        if not hasattr(music, "save_playlist") or not ids:
            return
        mood = session.captured_mood
        name, description = playlist_name(mood.dominant if mood else "", session.mode, date.today())
        window.tracks.set_can_save(False)
        window.status.showMessage(f"Saving “{name}” to your Spotify account…", 30000)

        def done(saved) -> None:
            window.status.show_link(f"Saved “{saved.name}” ({saved.added} tracks) to your Spotify account:",
                                    saved.name, saved.url)
            self.show_network()

        def failed(exc: Exception) -> None:
            text = str(exc) if getattr(exc, "hint", None) is not None else f"{exc.__class__.__name__}: {exc}"
            window.status.showMessage(f"The playlist was not saved. {text}", 20000)
            self.show_network()

        self._music_pool.run(lambda report, cancel: music.save_playlist(name, ids, description), on_done=done,
                             on_error=failed)
