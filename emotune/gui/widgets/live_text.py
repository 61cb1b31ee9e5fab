"""A line of text that changes several times a second (the mood's percentages and valence).

Why not a QLabel: every QLabel.setText asks the window to lay itself out again (the label's size hint might
have changed), and in our splitter layout that repaints every panel of the window, 5–10 times a second while
a face is in view (benchmarks/bench_live.py). This widget asks for a new layout only when the text needs
another number of lines at the current width; otherwise it repaints itself alone.
"""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

_FLAGS = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap


def relayout_if_lines_changed(widget: QWidget, event: QResizeEvent) -> None:
    """For a wrapped text whose minimum height is its height at its current width: after a resize that changes
    its number of lines, the layout must ask for that minimum again (it keeps the old one until told), or the
    text pushes the widgets under it out of their box."""
    if widget.heightForWidth(event.size().width()) != widget.heightForWidth(event.oldSize().width()):
        widget.updateGeometry()


class LiveText(QWidget):
    """GUI thread. Plain text, word-wrapped, in the window's text colour; `text()`/`setText()` as on QLabel."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name, so callers need not care)
        if text == self._text:
            return
        before = self.heightForWidth(self.width())
        self._text = text
        self.setAccessibleName(text)
        if self.heightForWidth(self.width()) != before:
            self.updateGeometry()
        self.update()

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        if not self._text:
            return 0
        return self.fontMetrics().boundingRect(QRect(0, 0, max(1, width), 10_000), _FLAGS, self._text).height()

    def sizeHint(self) -> QSize:  # noqa: N802
        # a fixed width hint: the splitter decides the width; only the height follows the text
        return QSize(240, self.heightForWidth(240))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(60, self.heightForWidth(max(60, self.width())))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        relayout_if_lines_changed(self, event)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        p.drawText(self.rect(), _FLAGS, self._text)
        p.end()
