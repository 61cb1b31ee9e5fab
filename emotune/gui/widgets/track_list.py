"""The recommended tracks: title, artist, album and a one-line reason, with play and copy-link buttons, a
refresh action, "Save as playlist" (Spotify) and the "match my mood" / "lift my mood" switch. Tracks Spotify
cannot play in the user's market are greyed with the reason."""
from __future__ import annotations

from typing import Callable
from urllib.parse import quote_plus

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QButtonGroup, QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QScrollArea,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from emotune.gui.services.interfaces import TrackBatch, TrackItem

UrlOpener = Callable[[QUrl], bool]   # True when a browser (or the Spotify app) took the link

FEEDBACK = (("like", "♥ Like", "More like this when you feel this way (kept in your mood journal)"),
            ("skip", "Skip", "Fewer tracks like this for this mood"),
            ("not_for_mood", "Not for this mood", "Never suggest this track for this mood again"))
# what each vote did, shown on its row until it is undone
VOTED = {"like": "♥ Liked: more like this when you feel this way.",
         "skip": "Skipped: fewer tracks like this for this mood.",
         "not_for_mood": "Not for this mood: it won't be suggested for this mood again."}
# where ▶ Play opens a track (the setting music/play_on); the YouTube ones search for "artist title"
PLAYERS = {"spotify": "Spotify", "youtube_music": "YouTube Music", "youtube": "YouTube"}


def play_url(track: TrackItem, player: str) -> str:
    """The link ▶ Play opens and Copy link copies: the Spotify page, or a YouTube (Music) search."""
    query = quote_plus(f"{track.artist} {track.title}".strip())
    if player == "youtube_music":
        return f"https://music.youtube.com/search?q={query}"
    if player == "youtube":
        return f"https://www.youtube.com/results?search_query={query}"
    return track.url


class TrackRow(QFrame):
    played = Signal(object)    # TrackItem
    copied = Signal(object)    # TrackItem
    feedback = Signal(object, str)   # TrackItem, "like" | "skip" | "not_for_mood"
    feedback_undone = Signal(object, str)   # TrackItem, the kind taken back
    message = Signal(str)      # what happened, in words, for the status bar

    def __init__(self, number: int, track: TrackItem, parent: QWidget | None = None, player: str = "spotify",
                 opener: UrlOpener = QDesktopServices.openUrl) -> None:
        super().__init__(parent)
        self.track, self._opener = track, opener
        self.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        row.addLayout(self._texts(number, track), 1)
        row.addLayout(self._buttons())
        self._copy_timer = QTimer(self, singleShot=True, interval=2500)
        self._copy_timer.timeout.connect(lambda: self.copy_button.setText("Copy link"))
        self.set_player(player)

    def _texts(self, number: int, track: TrackItem) -> QVBoxLayout:
        """Title, artist and album, the reason it was chosen, the vote buttons and what the last click did."""
        title = QLabel(f"<b>{number}. {_esc(track.title)}</b>")
        who = QLabel(f"{_esc(track.artist)} — <i>{_esc(track.album)}</i>" if track.album else _esc(track.artist),
                     textFormat=Qt.TextFormat.RichText)     # escaped text without a tag would show as "&amp;"
        reason = QLabel(_esc(track.reason), textFormat=Qt.TextFormat.RichText)
        for lab in (title, who, reason):   # long titles wrap: the row fits the column, no sideways scrolling
            lab.setWordWrap(True)
        reason.setEnabled(False)  # the palette's muted text colour, in light and dark themes
        self._labels = (title, who)
        if track.unavailable:   # greyed with the reason; Spotify would only show "unavailable" for it
            for lab in self._labels:
                lab.setEnabled(False)
            reason.setText(f"{_esc(track.reason)} — <b>{_esc(track.unavailable)}</b>")
            self.setToolTip(track.unavailable)
        self.state = QLabel("")   # what the last click did ("Liked: …", "Link copied")
        self.state.setWordWrap(True)
        self.state.setVisible(False)
        texts = QVBoxLayout()
        texts.setSpacing(1)
        for lab in (title, who, reason):
            texts.addWidget(lab)
        texts.addLayout(self._votes())
        texts.addWidget(self.state)
        return texts

    def _votes(self) -> QHBoxLayout:
        """Like, Skip, Not for this mood, and Undo once one is taken."""
        self.feedback_buttons: dict[str, QToolButton] = {}
        votes = QHBoxLayout()
        votes.setSpacing(4)
        for kind, text, tip in FEEDBACK:
            button = QToolButton(text=text, checkable=True)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(lambda _checked=False, k=kind: self._vote(k))
            self.feedback_buttons[kind] = button
            votes.addWidget(button)
        self.undo_button = QToolButton(text="↶ Undo")
        self.undo_button.setToolTip("Take this back (it is removed from your mood journal too)")
        self.undo_button.clicked.connect(self._undo)
        self.undo_button.setVisible(False)
        votes.addWidget(self.undo_button)
        votes.addStretch()
        return votes

    def _buttons(self) -> QVBoxLayout:
        """▶ Play and Copy link, on the right."""
        self.play_button = QToolButton(text="▶ Play")
        self.play_button.clicked.connect(self._play)
        self.copy_button = QToolButton(text="Copy link")
        self.copy_button.setToolTip("Put the link on the clipboard")
        self.copy_button.clicked.connect(self._copy)
        buttons = QVBoxLayout()
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch()
        return buttons

    def set_player(self, player: str) -> None:
        """Where ▶ Play opens the track (see PLAYERS)."""
        self.player = player if player in PLAYERS else "spotify"
        self.url = play_url(self.track, self.player)
        where = PLAYERS[self.player]
        self.play_button.setToolTip(f"Open {self.url} in the browser" +
                                    (" or Spotify" if where == "Spotify" else f" (a search on {where})"))
        # not playable in the user's Spotify market: a YouTube search can still find it
        self.play_button.setEnabled(not self.track.unavailable or self.player != "spotify")

    def _play(self) -> None:
        if self._opener(QUrl(self.url)):
            self.message.emit(f"Opened “{self.track.title}” in your browser.")
        else:   # no browser could be started: the link is still one paste away
            QGuiApplication.clipboard().setText(self.url)
            self._show_copied()
            self.message.emit(f"No web browser could be opened, so the link to “{self.track.title}” is on the "
                              "clipboard: paste it into your browser.")
        self.played.emit(self.track)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.url)
        self._show_copied()
        self.message.emit(f"Link to “{self.track.title}” copied.")
        self.copied.emit(self.track)

    def _show_copied(self) -> None:
        self.copy_button.setText("✓ Copied")
        self._copy_timer.start()

    def _vote(self, kind: str) -> None:
        """One vote per row: the chosen button stays down, the others lock, the row says what it did and
        offers Undo."""
        self._show_vote(kind)
        self.feedback.emit(self.track, kind)

    def _undo(self) -> None:
        kind = self.vote()
        if kind:
            self._show_vote("")
            self.message.emit(f"Undone: “{self.track.title}” counts as before.")
            self.feedback_undone.emit(self.track, kind)

    def _show_vote(self, kind: str) -> None:
        for k, button in self.feedback_buttons.items():
            button.setChecked(k == kind)
            button.setEnabled(not kind)
        for lab in self._labels:   # skipped or not for this mood: greyed, it will not come back as it was
            lab.setEnabled(kind not in ("skip", "not_for_mood") and not self.track.unavailable)
        self.undo_button.setVisible(bool(kind))
        self.state.setText(VOTED.get(kind, ""))
        self.state.setVisible(bool(kind))

    def vote(self) -> str:
        return next((k for k, b in self.feedback_buttons.items() if b.isChecked()), "")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class TrackList(QWidget):
    """GUI thread. Emits what the user asked for; the window decides what to fetch."""

    mode_changed = Signal(str)      # "match" | "lift"
    refresh_requested = Signal()
    track_played = Signal(object)   # TrackItem
    link_copied = Signal(object)    # TrackItem
    feedback_given = Signal(object, str)   # TrackItem, "like" | "skip" | "not_for_mood"
    feedback_undone = Signal(object, str)  # TrackItem, the kind the user took back
    message = Signal(str)           # what a click did, for the status bar
    player_changed = Signal(str)    # a PLAYERS key: where ▶ Play opens tracks from now on
    save_requested = Signal()       # "Save as playlist" (the window saves `playable_ids()`)

    def __init__(self, mode: str = "match", parent: QWidget | None = None, player: str = "spotify",
                 opener: UrlOpener = QDesktopServices.openUrl) -> None:
        super().__init__(parent)
        self._player = player if player in PLAYERS else "spotify"
        self._opener = opener
        self._can_save = False
        self._tracks: tuple[TrackItem, ...] = ()
        self.note = QLabel("Press “Capture mood” to get tracks for your mood.")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._mode_row(mode))      # two rows: in one, the five buttons were cut at the minimum width
        layout.addLayout(self._player_row())
        layout.addWidget(self.note)
        layout.addWidget(self._list_area(), 1)
        self._update_save()

    def _mode_row(self, mode: str) -> QHBoxLayout:
        """Match / Lift (one of them checked) and Refresh."""
        self.match_button = QPushButton("Match my mood", checkable=True)
        self.lift_button = QPushButton("Lift my mood", checkable=True)
        self.match_button.setToolTip("Tracks that fit how you feel now")
        self.lift_button.setToolTip("Start where you are, then move step by step toward a brighter mood")
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.match_button)
        group.addButton(self.lift_button)
        (self.lift_button if mode == "lift" else self.match_button).setChecked(True)
        self.match_button.toggled.connect(lambda on: on and self.mode_changed.emit("match"))
        self.lift_button.toggled.connect(lambda on: on and self.mode_changed.emit("lift"))
        self.refresh_button = QPushButton("↻ Refresh")
        self.refresh_button.setToolTip("Other tracks for the same mood")
        self.refresh_button.clicked.connect(self.refresh_requested)
        row = QHBoxLayout()
        row.addWidget(self.match_button)
        row.addWidget(self.lift_button)
        row.addStretch()
        row.addWidget(self.refresh_button)
        return row

    def _player_row(self) -> QHBoxLayout:
        """Where ▶ Play opens tracks (a menu of PLAYERS) and Save as playlist."""
        self.save_button = QPushButton("Save as playlist")
        self.save_button.setToolTip("Save the playable tracks as a private playlist in your Spotify account "
                                    "(File → Connect Spotify… first)")
        self.save_button.clicked.connect(self.save_requested)
        self.player_button = QToolButton()
        self.player_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # the style's own arrow is drawn over the end of the text: the text carries its own
        self.player_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.player_button.setToolTip("Where ▶ Play opens a track: Spotify, or a YouTube Music or YouTube search "
                                      "for the artist and title (for listening without Spotify)")
        self.player_button.setAccessibleName("Play tracks on")
        menu = QMenu(self.player_button)
        choices = QActionGroup(self)
        self.player_actions: dict[str, QAction] = {}
        for key, name in PLAYERS.items():
            action = QAction(name, self, checkable=True, checked=key == self._player)
            action.triggered.connect(lambda _checked=False, k=key: self.set_player(k, emit=True))
            choices.addAction(action)
            menu.addAction(action)
            self.player_actions[key] = action
        self.player_button.setMenu(menu)
        self._show_player()
        row = QHBoxLayout()
        row.addWidget(self.player_button)
        row.addStretch()
        row.addWidget(self.save_button)
        return row

    def _list_area(self) -> QScrollArea:
        """The rows, in a scroll area that wraps them to its width."""
        self._rows_box = QWidget()
        self._rows = QVBoxLayout(self._rows_box)
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._rows.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._rows_box)
        scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)   # rows wrap to the width
        self.scroll = scroll
        return scroll

    def mode(self) -> str:
        return "lift" if self.lift_button.isChecked() else "match"

    def player(self) -> str:
        return self._player

    def set_player(self, player: str, emit: bool = False) -> None:
        """Where ▶ Play opens tracks (the rows shown follow at once); `emit` when the user chose it."""
        self._player = player if player in PLAYERS else "spotify"
        self.player_actions[self._player].setChecked(True)
        self._show_player()
        for row in self.rows():
            row.set_player(self._player)
        if emit:
            self.message.emit(f"▶ Play now opens tracks on {PLAYERS[self._player]}.")
            self.player_changed.emit(self._player)

    def _show_player(self) -> None:
        self.player_button.setText(f"Play on: {PLAYERS[self._player]} ▾")

    def tracks(self) -> tuple[TrackItem, ...]:
        return self._tracks

    def rows(self) -> list[TrackRow]:
        return [self._rows.itemAt(i).widget() for i in range(self._rows.count() - 1)]

    def playable_ids(self) -> list[str]:
        """The ids "Save as playlist" sends: the list in order, without the tracks marked unavailable."""
        return [t.track_id for t in self._tracks if not t.unavailable]

    def set_can_save(self, on: bool) -> None:
        """Spotify is connected (or not): the save button follows, and needs playable tracks too."""
        self._can_save = on
        self._update_save()

    def _update_save(self) -> None:
        self.save_button.setEnabled(self._can_save and bool(self.playable_ids()))

    def set_busy(self, text: str = "Choosing tracks…") -> None:
        self.note.setText(text)
        self.refresh_button.setEnabled(False)

    def show_batch(self, batch: TrackBatch) -> None:
        self.refresh_button.setEnabled(True)
        self._clear_rows()
        self._tracks = batch.tracks
        for i, track in enumerate(batch.tracks, 1):
            row = TrackRow(i, track, player=self._player, opener=self._opener)
            row.played.connect(self.track_played)
            row.copied.connect(self.link_copied)
            row.feedback.connect(self.feedback_given)
            row.feedback_undone.connect(self.feedback_undone)
            row.message.connect(self.message)
            self._rows.insertWidget(self._rows.count() - 1, row)
        self._keep_rows_whole()
        self._update_save()
        self.scroll.verticalScrollBar().setValue(0)   # a new list starts at its first track
        source = f" (from the {batch.source})" if batch.source and batch.tracks else ""
        if batch.tracks:
            count = f"{len(batch.tracks)} track{'' if len(batch.tracks) == 1 else 's'}{source}."
            self.note.setText((batch.note + " " if batch.note else "") + count)
        else:
            self.note.setText(batch.note or "No tracks found for this mood.")

    def _keep_rows_whole(self) -> None:
        """The list never gets narrower than a row's buttons need: a scroll area without a sideways bar
        squeezes its rows otherwise ("Copy lin" at the window's minimum size)."""
        widest = max((self._rows.itemAt(i).widget().minimumSizeHint().width() for i in range(self._rows.count() - 1)),
                     default=0)
        self.scroll.setMinimumWidth(widest + self.scroll.verticalScrollBar().sizeHint().width())

    def show_error(self, text: str) -> None:
        self.refresh_button.setEnabled(True)
        self.note.setText(text)

    def _clear_rows(self) -> None:
        while self._rows.count() > 1:
            widget = self._rows.takeAt(0).widget()
            widget.setParent(None)
            widget.deleteLater()
