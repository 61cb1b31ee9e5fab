"""The seven probabilities of the main face as horizontal bars, each in its emotion's colour."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette, QStaticText
from PySide6.QtWidgets import QSizePolicy, QWidget

from emotune.core.emotions import EMOTIONS
from emotune.gui.style import EMOTION_COLORS, label


@dataclass(frozen=True)
class _Layout:
    plain: QFont
    bold: QFont
    name_width: int
    percent_width: int
    text_height: int
    names: dict[str, tuple[QStaticText, QStaticText]]   # each emotion's name, plain and bold


class EmotionBars(QWidget):
    """GUI thread. `set_scores(None)` greys the bars out (no face, or no emotion model)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scores: dict[str, float] | None = None
        self._layout: _Layout | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Emotion probabilities of the main face")

    def set_scores(self, scores: Mapping[str, float] | None) -> None:
        self._scores = dict(scores) if scores is not None else None
        self.setToolTip("" if scores is None else
                        "\n".join(f"{label(e)}: {self._scores.get(e, 0.0):.0%}" for e in EMOTIONS))
        self.update()

    def scores(self) -> dict[str, float] | None:
        return self._scores

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(320, self._row_height() * len(EMOTIONS) + 8)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, self._row_height() * len(EMOTIONS) + 8)

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 6

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.FontChange:
            self._layout = None
        super().changeEvent(event)

    def _text_layout(self) -> _Layout:
        """Fonts, column widths and the emotion names laid out once per font: the bars repaint ten times a
        second, and measuring and shaping the same seven names each time was most of their cost."""
        if self._layout is None:
            plain, bold = QFont(self.font()), QFont(self.font())
            bold.setBold(True)
            metrics = QFontMetrics(plain)
            names = {}
            for e in EMOTIONS:
                pair = (QStaticText(label(e)), QStaticText(label(e)))
                pair[0].prepare(font=plain)
                pair[1].prepare(font=bold)
                names[e] = pair
            self._layout = _Layout(plain, bold, max(QFontMetrics(bold).horizontalAdvance(label(e)) for e in EMOTIONS)
                                   + 10, metrics.horizontalAdvance("100%") + 8, metrics.height(), names)
        return self._layout

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        lay = self._text_layout()
        row = self._row_height()
        name_w, pct_w = lay.name_width, lay.percent_width
        bar_w = max(10, self.width() - name_w - pct_w - 4)
        top_emotion = max(self._scores, key=self._scores.get) if self._scores else None
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        for i, emotion in enumerate(EMOTIONS):
            y = 4 + i * row
            bold = emotion == top_emotion
            p.setFont(lay.bold if bold else lay.plain)
            p.drawStaticText(QPointF(0, y + (row - lay.text_height) / 2), lay.names[emotion][bold])
            value = (self._scores or {}).get(emotion, 0.0)
            track = QRectF(name_w, y + 3, bar_w, row - 6)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(pal.color(QPalette.ColorRole.Mid).lighter(130))
            p.drawRoundedRect(track, 3, 3)
            if self._scores is not None and value > 0:
                color = EMOTION_COLORS[emotion]
                p.setBrush(color)
                p.drawRoundedRect(QRectF(track.x(), track.y(), max(2.0, bar_w * value), track.height()), 3, 3)
            p.setPen(pal.color(QPalette.ColorRole.WindowText))
            p.setFont(lay.plain)
            text = f"{value:.0%}" if self._scores is not None else "–"
            p.drawText(QRectF(name_w + bar_w, y, pct_w, row), Qt.AlignmentFlag.AlignRight |
                       Qt.AlignmentFlag.AlignVCenter, text)
        p.end()
