"""A word-wrapped label whose minimum height is what its text needs at the width it has.

QLabel's own minimum size guesses a width for wrapped text, so in a narrow column ("Mixed: disgusted and
surprised" in the mood panel at the window's minimum size) the label takes more lines than its layout reserved
and pushes the widgets under it out of their box, where they are cut off."""
from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

from emotune.gui.widgets.live_text import relayout_if_lines_changed


class WrappingLabel(QLabel):
    """GUI thread. A QLabel (plain or rich text) with word wrap on."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = super().minimumSizeHint()
        return QSize(hint.width(), max(hint.height(), self.heightForWidth(self.width())))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        relayout_if_lines_changed(self, event)
