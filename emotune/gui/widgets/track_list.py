"""The recommended tracks: title, artist, album and a one-line reason, with play and copy-link buttons, a
refresh action, "Save as playlist" (Spotify) and the "match my mood" / "lift my mood" switch. Tracks Spotify
cannot play in the user's market are greyed with the reason."""
from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QButtonGroup, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QToolButton, QVBoxLayout, QWidget)

from emotune.gui.services.interfaces import TrackBatch, TrackItem


FEEDBACK = (("like", "♥ Like", "More like this when you feel this way (kept in your mood journal)"),
            ("skip", "Skip", "Fewer tracks like this for this mood"),
            ("not_for_mood", "Not for this mood", "Never suggest this track for this mood again"))


class TrackRow(QFrame):
    played = Signal(object)    # TrackItem
    copied = Signal(object)    # TrackItem
    feedback = Signal(object, str)   # TrackItem, "like" | "skip" | "not_for_mood"

    def __init__(self, number: int, track: TrackItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.track = track
        self.setFrameShape(QFrame.Shape.StyledPanel)
        title = QLabel(f"<b>{number}. {_esc(track.title)}</b>")
        who = QLabel(f"{_esc(track.artist)} — <i>{_esc(track.album)}</i>" if track.album else _esc(track.artist),
                     textFormat=Qt.TextFormat.RichText)     # escaped text without a tag would show as "&amp;"
        reason = QLabel(_esc(track.reason), textFormat=Qt.TextFormat.RichText)
        reason.setWordWrap(True)
        reason.setEnabled(False)  # the palette's muted text colour, in light and dark themes
        self.play_button = QToolButton(text="▶ Play")
        self.play_button.setToolTip(f"Open {track.url} in the browser or Spotify")
        self.play_button.clicked.connect(self._play)
        self.copy_button = QToolButton(text="Copy link")
        self.copy_button.clicked.connect(self._copy)
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
        votes.addStretch()
        texts = QVBoxLayout()
        texts.setSpacing(1)
        for lab in (title, who, reason):
            texts.addWidget(lab)
        texts.addLayout(votes)
        self._labels = (title, who)
        if track.unavailable:   # greyed with the reason; Spotify would only show "unavailable" for it
            for lab in self._labels:
                lab.setEnabled(False)
            reason.setText(f"{_esc(track.reason)} — <b>{_esc(track.unavailable)}</b>")
            self.play_button.setEnabled(False)
            self.setToolTip(track.unavailable)
        buttons = QVBoxLayout()
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch()
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        row.addLayout(texts, 1)
        row.addLayout(buttons)

    def _play(self) -> None:
        QDesktopServices.openUrl(QUrl(self.track.url))
        self.played.emit(self.track)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.track.url)
        self.copied.emit(self.track)

    def _vote(self, kind: str) -> None:
        """One vote per row: the chosen button stays down, the others lock."""
        for k, button in self.feedback_buttons.items():
            button.setChecked(k == kind)
            button.setEnabled(False)
        if kind == "not_for_mood":
            for lab in self._labels:   # greyed out: it will not come back for this mood
                lab.setEnabled(False)
        self.feedback.emit(self.track, kind)

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
    save_requested = Signal()       # "Save as playlist" (the window saves `playable_ids()`)

    def __init__(self, mode: str = "match", parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.save_button = QPushButton("Save as playlist")
        self.save_button.setToolTip("Save the playable tracks as a private playlist in your Spotify account "
                                    "(File → Connect Spotify… first)")
        self.save_button.clicked.connect(self.save_requested)
        self._can_save = False
        self.note = QLabel("Press “Capture mood” to get tracks for your mood.")
        self.note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.match_button)
        top.addWidget(self.lift_button)
        top.addStretch()
        top.addWidget(self.save_button)
        top.addWidget(self.refresh_button)
        self._rows_box = QWidget()
        self._rows = QVBoxLayout(self._rows_box)
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._rows.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._rows_box)
        scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(scroll, 1)
        self._tracks: tuple[TrackItem, ...] = ()
        self._update_save()

    def mode(self) -> str:
        return "lift" if self.lift_button.isChecked() else "match"

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
            row = TrackRow(i, track)
            row.played.connect(self.track_played)
            row.copied.connect(self.link_copied)
            row.feedback.connect(self.feedback_given)
            self._rows.insertWidget(self._rows.count() - 1, row)
        self._update_save()
        source = f" (from the {batch.source})" if batch.source and batch.tracks else ""
        if batch.tracks:
            self.note.setText((batch.note + " " if batch.note else "") + f"{len(batch.tracks)} tracks{source}.")
        else:
            self.note.setText(batch.note or "No tracks found for this mood.")

    def show_error(self, text: str) -> None:
        self.refresh_button.setEnabled(True)
        self.note.setText(text)

    def _clear_rows(self) -> None:
        while self._rows.count() > 1:
            widget = self._rows.takeAt(0).widget()
            widget.setParent(None)
            widget.deleteLater()
