"""A one-line label that never cuts its text silently: when it is too narrow it ends in "…" and its tooltip
carries the full text. `text()` is always the full text, so code and tests read what was meant, not what fitted."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """GUI thread. Plain text only. `set_explanation` is a tooltip line that stays under the full text."""

    def __init__(self, text: str = "", parent: QWidget | None = None, min_chars: int = 6) -> None:
        super().__init__(text, parent)
        self._explanation = ""
        self._min_chars = min_chars
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._update_tip()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        if text != self.text():
            super().setText(text)
            self.setAccessibleName(text)
            self._update_tip()
            self.update()

    def set_explanation(self, text: str) -> None:
        self._explanation = text
        self._update_tip()

    def shown_text(self) -> str:
        """What is painted: the full text, or its start ending in "…" when it does not fit."""
        width = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, max(0, width))

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        fm = self.fontMetrics()
        return QSize(min(fm.horizontalAdvance(self.text()), fm.averageCharWidth() * self._min_chars), fm.height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        fm = self.fontMetrics()
        margins = self.contentsMargins()
        return QSize(fm.horizontalAdvance(self.text()) + margins.left() + margins.right() + 2, fm.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment()) | int(Qt.AlignmentFlag.AlignVCenter),
                         self.shown_text())

    def _update_tip(self) -> None:
        full = self.text() if self.text() and self.is_elided() else ""
        self.setToolTip("\n\n".join(t for t in (full, self._explanation) if t))
