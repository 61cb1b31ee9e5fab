"""File → Connect Spotify…: a small window that stays while the login waits for the browser.

Why a window and not a status message: the login can wait minutes, a machine without a browser needs the
address to open elsewhere, and the user must be able to give up. It says whether a browser opened, shows the
address with a Copy button, has Cancel, and shows a failure (a timeout, a refusal) whole, wrapped, until
closed. The login itself runs in a worker (services/engines.py); this only presents and asks to cancel.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from emotune.gui.accessibility import name_controls
from emotune.gui.style import breakable

OPENED = "Approve EmoTune in the browser window that opened. This window closes when Spotify answers."
NOT_OPENED = ("No browser opened on this computer. Open this address in a browser yourself (on this computer: "
              "Spotify sends the answer to 127.0.0.1) and approve EmoTune there:")


class SpotifyLoginDialog(QDialog):
    """GUI thread; non-modal. `cancel_requested` when the user gives up while the login waits."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect Spotify")
        self.message = QLabel("Opening the Spotify login in your browser…")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address = QLineEdit()
        self.address.setReadOnly(True)
        self.address.setAccessibleName("Spotify login address")
        self.copy_button = QPushButton("&Copy link")
        self.copy_button.clicked.connect(self.copy_address)
        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        row.addWidget(self.copy_button)
        self.copied = QLabel("")
        self.cancel_button = QPushButton("Cancel login")
        self.cancel_button.clicked.connect(self._cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.accept)
        self.close_button.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addWidget(self.copied)
        layout.addLayout(buttons)
        self._show_address(False)
        self.setMinimumWidth(480)
        name_controls(self)

    def _show_address(self, on: bool) -> None:
        for widget in (self.address, self.copy_button, self.copied):
            widget.setVisible(on)

    def show_url(self, url: str, opened: bool) -> None:
        """The login page's address, and whether a browser opened it."""
        self.message.setText(OPENED if opened else NOT_OPENED)
        self.address.setText(url)
        self.address.setCursorPosition(0)
        self._show_address(not opened)
        if not opened:
            self.copy_address()   # ready to paste at once
        self._fit()

    def copy_address(self) -> None:
        QGuiApplication.clipboard().setText(self.address.text())
        self.copied.setText("Link copied: paste it into a browser's address bar.")

    def show_failure(self, text: str) -> None:
        """The login ended without success: the reason stays, whole and wrapped, until the user closes."""
        self.message.setText(breakable(text))
        self.message.setToolTip(text)
        self.cancel_button.setVisible(False)
        self.close_button.setVisible(True)
        self.close_button.setDefault(True)
        self._fit()

    def _fit(self) -> None:
        """A top-level window does not grow by itself for wrapped text: as tall as the text needs, at its width."""
        self.layout().activate()
        needed = self.layout().totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _cancel(self) -> None:
        self.message.setText("Cancelling the Spotify login…")
        self.cancel_button.setEnabled(False)
        self.cancel_requested.emit()

    def reject(self) -> None:
        """Escape or the window's close button: cancel a login that still waits."""
        if self.cancel_button.isVisible() and self.cancel_button.isEnabled():
            self.cancel_requested.emit()
        super().reject()
