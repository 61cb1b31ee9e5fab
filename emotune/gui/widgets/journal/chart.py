"""The journal's charts, drawn with QPainter (we ship PySide6-Essentials, which has no QtCharts).

One widget serves both views: stacked emotion shares per time bin (the colours of style.EMOTION_COLORS, in
FER order from the bottom; the left axis reads their percentages) with the mean valence drawn over them as a
line with a dot per bin (the right axis reads −1…+1), so both "what" and "how pleasant" read at a glance.
Hovering a bar shows its time, dominant mood and sample count.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from emotune.core.emotions import EMOTIONS
from emotune.gui.style import EMOTION_COLORS, label


@dataclass(frozen=True)
class ChartBar:
    """One bar: where it starts on the x axis (0..1), its width (0..1), and what it shows."""

    x: float
    width: float
    distribution: tuple[float, ...]
    valence: float
    tooltip: str


class MoodChart(QWidget):
    """GUI thread only; `set_bars` replaces the data and repaints."""

    MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 44, 30, 8, 22
    AXES = ((0.0, "100 %", "+1"), (0.5, "50 %", "0"), (1.0, "0 %", "−1"))   # height: share (left), valence (right)

    def __init__(self, empty_text: str = "Nothing recorded yet", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bars: list[ChartBar] = []
        self._ticks: list[tuple[float, str]] = []
        self._empty_text = empty_text
        self.setMinimumHeight(130)
        self.setMouseTracking(True)
        self.setAccessibleName("mood chart")

    def sizeHint(self) -> QSize:
        return QSize(520, 170)

    @property
    def bars(self) -> list[ChartBar]:
        return list(self._bars)

    def set_bars(self, bars: list[ChartBar], ticks: list[tuple[float, str]], empty_text: str | None = None) -> None:
        self._bars, self._ticks = list(bars), list(ticks)
        if empty_text is not None:
            self._empty_text = empty_text
        self.setAccessibleDescription(f"{len(bars)} bars" if bars else self._empty_text)
        self.update()

    def _plot_rect(self) -> QRectF:
        return QRectF(self.MARGIN_L, self.MARGIN_T, max(1, self.width() - self.MARGIN_L - self.MARGIN_R),
                      max(1, self.height() - self.MARGIN_T - self.MARGIN_B))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        plot = self._plot_rect()
        p.fillRect(plot, pal.color(QPalette.ColorRole.Base))
        grid = QColor(pal.color(QPalette.ColorRole.Mid))
        text = pal.color(QPalette.ColorRole.Text)
        p.setFont(self._small_font())
        p.setPen(QPen(grid, 1))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        for frac, share, valence in self.AXES:
            y = plot.top() + frac * plot.height()
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(text)
            p.drawText(QRectF(0, y - 8, self.MARGIN_L - 4, 16), right, share)        # the stacked shares
            p.drawText(QRectF(plot.right() + 4, y - 8, self.MARGIN_R - 4, 16), left, valence)   # the line
            p.setPen(QPen(grid, 1))
        for (frac, name), box in zip(self._ticks, self.tick_rects()):
            x = plot.left() + frac * plot.width()
            p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
            p.setPen(text)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, name)
            p.setPen(QPen(grid, 1))
        if not self._bars:
            p.setPen(text)
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, self._empty_text)
            return
        p.setPen(Qt.PenStyle.NoPen)
        for bar in self._bars:
            x0 = plot.left() + bar.x * plot.width()
            w = max(1.0, bar.width * plot.width() - 1)
            y = plot.bottom()
            for emotion, share in zip(EMOTIONS, bar.distribution):
                h = share * plot.height()
                p.fillRect(QRectF(x0, y - h, w, h), EMOTION_COLORS[emotion])
                y -= h
        line = QPainterPath()
        points = []
        for i, bar in enumerate(self._bars):                         # valence over the stacks
            pt = QPointF(plot.left() + (bar.x + bar.width / 2) * plot.width(),
                         plot.top() + (0.5 - max(-1.0, min(1.0, bar.valence)) / 2) * plot.height())
            line.moveTo(pt) if i == 0 else line.lineTo(pt)
            points.append(pt)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(pal.color(QPalette.ColorRole.Base), 4))        # a halo keeps the line visible on any colour
        p.drawPath(line)
        p.setPen(QPen(text, 2))
        p.drawPath(line)
        p.setBrush(text)
        for pt in points:                                            # a dot per bin: one bin is still a mark
            p.drawEllipse(pt, 2.5, 2.5)

    def tick_rects(self) -> list[QRectF]:
        """Where each x-axis label is drawn: centred on its tick, moved inward at the edges so "24:00" stays whole."""
        plot = self._plot_rect()
        fm = QFontMetrics(self._small_font())
        rects = []
        for frac, name in self._ticks:
            w = fm.horizontalAdvance(name) + 4
            box = QRectF(plot.left() + frac * plot.width() - w / 2, plot.bottom() + 4, w, self.MARGIN_B - 4)
            box.moveLeft(max(0.0, min(box.left(), self.width() - w)))
            rects.append(box)
        return rects

    def _small_font(self) -> QFont:
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, small.pointSizeF() * 0.85))
        return small

    def bar_at(self, x: float) -> ChartBar | None:
        plot = self._plot_rect()
        frac = (x - plot.left()) / plot.width()
        return next((b for b in self._bars if b.x <= frac < b.x + b.width), None)

    def event(self, ev) -> bool:
        if ev.type() == QEvent.Type.ToolTip:
            bar = self.bar_at(ev.position().x() if hasattr(ev, "position") else ev.pos().x())
            if bar:
                QToolTip.showText(ev.globalPos(), bar.tooltip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(ev)


class MoodLegend(QWidget):
    """The seven colours with their names, and the valence line."""

    VALENCE = "valence (pleasant ↑)"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Legend: " + ", ".join(label(e) for e in EMOTIONS) + ", and the valence line")
        self.setMinimumSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        h = fm.height()
        width = sum(h / 2 + 4 + fm.horizontalAdvance(label(e)) + 12 for e in EMOTIONS)
        return QSize(int(width + 24 + fm.horizontalAdvance(self.VALENCE) + 8), h + 6)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        fm = self.fontMetrics()
        x, h = 2, fm.height()
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        for emotion in EMOTIONS:
            p.fillRect(QRectF(x, 3 + h / 4, h / 2, h / 2), EMOTION_COLORS[emotion])
            x += h / 2 + 4
            name = label(emotion)
            p.drawText(QPointF(x, 3 + fm.ascent()), name)
            x += fm.horizontalAdvance(name) + 12
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        line = self.palette().color(QPalette.ColorRole.Text)       # the chart's valence line: same pen and dot
        p.setPen(QPen(line, 2))
        p.drawLine(QPointF(x, 3 + h / 2), QPointF(x + 18, 3 + h / 2))
        p.setBrush(line)
        p.drawEllipse(QPointF(x + 9, 3 + h / 2), 2.5, 2.5)
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        p.drawText(QPointF(x + 24, 3 + fm.ascent()), self.VALENCE)
