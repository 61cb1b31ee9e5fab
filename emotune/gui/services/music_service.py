"""The music engines behind the window's MusicService interface: the offline catalog that every user gets,
and Spotify on top of it for a user who entered their own Client ID and connected.

Why Spotify wraps the catalog instead of replacing it: the catalog always answers (no network, no quota), so
a Spotify failure only adds a note to a full list. Everything here runs in the music pool's thread; the
catalog loads there on first use, and the journal's feedback boosts are read there too.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import date
from typing import Callable, Sequence

from emotune.core.feedback import FeedbackBoosts
from emotune.core.mood import MoodSnapshot
from emotune.gui.services.interfaces import AnalysisView, TrackBatch, TrackItem
from emotune.gui.settings import Preferences

log = logging.getLogger(__name__)

BoostSource = Callable[[str], "FeedbackBoosts | None"]
TRACKS = 10
SPOTIFY_EXTRA = 4          # Spotify search results put above the catalog's list
CONNECT_HINT = "Connect it with File → Connect Spotify…"
NOT_IN_MARKET = "Not available in your Spotify market."


def _no_boosts(mood: str) -> FeedbackBoosts | None:
    return None


class CatalogMusic:
    """Recommendations from the shipped catalog (plus the user's imports). Thread-safe."""

    name = "offline catalog"
    available = True

    def __init__(self, dirs=None, catalog_path=None, n: int = TRACKS) -> None:
        self._dirs, self._path, self.n = dirs, catalog_path, n
        self._lock = threading.Lock()
        self._recommender = None
        self._session = None
        self._phrases = None
        self.feedback: BoostSource = _no_boosts     # the journal plugs its boosts in here

    def recommender(self):
        """The Recommender over the loaded catalog (loads it on first call; CatalogError with a hint)."""
        with self._lock:
            if self._recommender is None:
                from emotune.music.catalog import CatalogError
                from emotune.music.library import load_catalog
                from emotune.music.lists.recommender import RecommendationSession, Recommender

                try:
                    catalog = load_catalog(self._dirs, self._path)
                except CatalogError as exc:
                    text = str(exc).rstrip(".")
                    if "emotune catalog import" not in text:
                        text += (". Reinstall EmoTune to restore the built-in catalog, or import your own with "
                                 "`emotune catalog import FILE.csv`")
                    raise CatalogError(text + ".") from exc
                self._recommender = Recommender(catalog)
                self._session = RecommendationSession()
                log.info("music catalog loaded: %d tracks", len(catalog))
            return self._recommender

    def genres(self) -> tuple[str, ...]:
        """The families worth choosing (emotune.music.lists.coverage.OFFER_MIN_TRACKS): what the analysis picks from."""
        from emotune.music.lists.coverage import split_offered

        return tuple(split_offered(self.genre_counts())[0])

    def genre_counts(self) -> dict[str, int]:
        """Tracks per genre family, every family (loads the catalog on first use: worker thread)."""
        return self.recommender().catalog.genre_counts()

    def phrase_check(self, phrase: str, valence: float) -> bool:
        """Whether the catalog finds tracks for a search phrase on the target's side of valence (the analysis
        keeps only such phrases; emotune.music.lists.phrase_search). LLM thread; loads the catalog once."""
        with self._lock:
            search = self._phrases
        if search is None:
            from emotune.music.lists.phrase_search import PhraseSearch

            search = PhraseSearch(self.recommender().catalog)
            with self._lock:
                self._phrases = search
        return search.suits(phrase, valence)

    def recommend(self, mood: MoodSnapshot, mode: str, prefs: Preferences, analysis: AnalysisView | None,
                  refresh: bool) -> TrackBatch:
        from emotune.music.links import track_url
        from emotune.music.lists.listing import AnalysisHints, ListSettings, list_for_analysis

        recommender = self.recommender()
        if not refresh:
            self._session.reset()
        try:
            boosts = self.feedback(mood.dominant)
        except Exception as exc:  # noqa: BLE001 - a journal problem must not cost the user their tracks
            log.warning("feedback boosts unavailable: %s", exc)
            boosts = None
        settings = ListSettings(mode=mode, n=self.n, genres=prefs.genres, languages=prefs.languages,
                                no_explicit=prefs.no_explicit)
        hints = AnalysisHints.of(analysis.raw if analysis is not None else None)
        result = list_for_analysis(recommender, mood, hints, settings, boosts, self._session)
        items = []
        for rec in result.items:
            t = rec.track
            try:
                url = track_url(t.id)
            except ValueError:
                continue
            items.append(TrackItem(t.id, t.title, t.artist_text, t.album, rec.reason, url))
        return TrackBatch(tuple(items), result.note, "offline catalog", detail=" ".join(result.notices[1:]))


class SpotifyMusic:
    """The catalog's list with Spotify search results for the analysis' phrases on top, for a user with their
    own Client ID. `state` is what the status bar shows: "unknown", "connected", "not connected", "error"."""

    available = True

    def __init__(self, catalog: CatalogMusic, client) -> None:
        self.catalog = catalog
        self.client = client
        self.name = "Spotify + offline catalog"
        self.state = "unknown"
        self.detail = ""
        self._lock = threading.Lock()

    @property
    def feedback(self) -> BoostSource:
        return self.catalog.feedback

    @feedback.setter
    def feedback(self, source: BoostSource) -> None:
        self.catalog.feedback = source

    def genres(self) -> tuple[str, ...]:
        return self.catalog.genres()

    def genre_counts(self) -> dict[str, int]:
        return self.catalog.genre_counts()

    def phrase_check(self, phrase: str, valence: float) -> bool:
        return self.catalog.phrase_check(phrase, valence)

    def check(self) -> str:
        """Reads whether a login is stored (a file read: worker thread); returns the new state."""
        self._set("connected" if self.client.is_connected() else "not connected")
        return self.state

    def connect(self, cancel: threading.Event | None = None, on_url=None):
        """The PKCE login in the browser (blocks until done: worker thread); `on_url(url, opened)` as in
        SpotifyClient.connect."""
        from emotune.music.spotify.errors import SpotifyError

        try:
            user = self.client.connect(cancel, on_url=on_url)
        except SpotifyError as exc:
            self._set("error", str(exc))
            raise
        self._set("connected", user.display_name)
        return user

    def recommend(self, mood: MoodSnapshot, mode: str, prefs: Preferences, analysis: AnalysisView | None,
                  refresh: bool) -> TrackBatch:
        from emotune.music.spotify.errors import SpotifyError, status_text

        batch = self.catalog.recommend(mood, mode, prefs, analysis, refresh)
        phrases = tuple(getattr(analysis.raw if analysis else None, "search_phrases", ()) or ())
        if self.check() != "connected":
            return _headline(batch, batch.tracks, f"Spotify is set up but not connected: {CONNECT_HINT}")
        tracks = batch.tracks
        try:
            tracks, market = self._mark_unavailable(tracks)
            extra = self._search(phrases, prefs, tracks) if phrases else []
        except SpotifyError as exc:
            self._set("error", status_text(exc))
            return _headline(batch, tracks, status_text(exc))
        self._set("connected", self.detail if self.state == "connected" else "")
        out = _headline(batch, tuple(extra) + tracks, market)
        return replace(out, source="Spotify and the offline catalog" if extra else batch.source)

    def _mark_unavailable(self, tracks: tuple[TrackItem, ...]) -> tuple[tuple[TrackItem, ...], str]:
        """Catalog tracks Spotify cannot play in the user's market stay in the list, greyed with a note, rather
        than being dropped or replaced: the order carries meaning ("lift my mood" walks step by step from the
        current mood toward a brighter one, and a replacement would break the walk or cost more lookups against a
        small quota), the user still learns what fits the mood (and may own it elsewhere), and a row that simply
        vanished would look like a bug. They cannot be played from EmoTune and "Save as playlist" leaves them out."""
        playable = self.client.availability([t.track_id for t in tracks])
        marked = tuple(t if playable.get(t.track_id, True) else replace(t, unavailable=NOT_IN_MARKET) for t in tracks)
        missing = sum(1 for t in marked if t.unavailable)
        if not missing:
            return marked, ""
        what = "One track is" if missing == 1 else f"{missing} tracks are"
        return marked, f"{what} not available in your Spotify market (greyed)."

    def disconnect(self) -> None:
        """Deletes the stored login (a file: worker thread); the lists come from the catalog alone again."""
        self.client.disconnect()
        self._set("not connected")

    def save_playlist(self, name: str, track_ids: Sequence[str], description: str = ""):
        """Creates a private playlist with these tracks in the user's account (network: worker thread)."""
        from emotune.music.spotify.errors import SpotifyAuthError

        try:
            return self.client.save_playlist(name, list(track_ids), description=description, public=False)
        except SpotifyAuthError as exc:
            self._set("not connected", str(exc))
            raise

    def _search(self, phrases, prefs: Preferences, listed: Sequence[TrackItem]) -> list[TrackItem]:
        from emotune.music.links import track_url

        from emotune.music.songs import same_song

        out: list[TrackItem] = []
        for phrase, t in self.client.phrase_hits(phrases, 5):
            if t.id in {x.track_id for x in listed} or (prefs.no_explicit and t.explicit):
                continue
            if any(same_song(t.title, t.artists, x.title, x.artist.split(", ")) for x in (*listed, *out)):
                continue                   # another id of a song the list already holds
            out.append(TrackItem(t.id, t.title, t.artist_text, t.album, f"Found on Spotify for “{phrase}”",
                                 track_url(t.id)))
            if len(out) >= SPOTIFY_EXTRA:
                break
        return out

    def _set(self, state: str, detail: str = "") -> None:
        with self._lock:
            self.state, self.detail = state, detail


def _headline(batch: TrackBatch, tracks: tuple[TrackItem, ...], text: str) -> TrackBatch:
    """`text` (Spotify's news) becomes the one sentence above the list; the catalog's note moves to the details."""
    if not text:
        return replace(batch, tracks=tracks)
    detail = " ".join(x for x in (batch.note, batch.detail) if x)
    return TrackBatch(tracks, text, batch.source, detail=detail)


def playlist_name(emotion: str, mode: str, day: date) -> tuple[str, str]:
    """The default name and description of a saved list, e.g. "EmoTune – Happy – 25 Nov": the mood and the day
    are what a user looks for later in a long list of playlists."""
    mood = (emotion or "my mood").strip()
    when = f"{day.day} {day:%b}"
    if mode == "lift":
        return (f"EmoTune – Lift from {mood.capitalize()} – {when}",
                f"Chosen by EmoTune to lift a {mood.lower()} mood step by step.")
    return f"EmoTune – {mood.capitalize()} – {when}", f"Chosen by EmoTune to match a {mood.lower()} mood."


def make_spotify_client(prefs: Preferences, dirs, **config_overrides):
    """spotipy through emotune.music.spotify.client for the user's own app; the token stays in dirs.config (0600)."""
    from emotune.music.spotify.auth import SecureTokenCache
    from emotune.music.spotify.client import SpotifyClient
    from emotune.music.spotify.config import SpotifyConfig

    config = SpotifyConfig(prefs.spotify_client_id.strip(), redirect_port=prefs.spotify_redirect_port,
                           **config_overrides)
    return SpotifyClient(config, SecureTokenCache.in_config(dirs.config))


def network_text(music) -> tuple[str, bool]:
    """The status bar's online/offline text for a music service, from its last known state (no I/O)."""
    state = getattr(music, "state", None)
    if state is None:
        if getattr(music, "available", False):
            return "Offline: music from the built-in catalog", False
        return "Offline: no music recommendations", False
    if state == "connected":
        who = f" as {music.detail}" if music.detail else ""
        return f"Online: Spotify connected{who}", True
    if state == "not connected":
        return "Offline: Spotify not connected (File → Connect Spotify…)", False
    if state == "error":
        return "Spotify unavailable: offline catalog in use", False
    return "Spotify: checking…", False
