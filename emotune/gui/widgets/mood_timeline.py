"""A chart of the rolling mood: the emotion distribution over the last minutes as stacked areas, with
valence and arousal as two lines below it. Drawn with QPainter (QtCharts is not in PySide6-Essentials)."""
from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from emotune.core.emotions import EMOTIONS
from emotune.core.mood import MoodSnapshot
from emotune.gui.style import EMOTION_COLORS, label


class MoodTimeline(QWidget):
    """GUI thread. Keeps one point per `min_step_s` for `span_s` seconds (wall time of arrival)."""

    def __init__(self, span_s: float = 300.0, min_step_s: float = 0.5, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.span_s, self.min_step_s = span_s, min_step_s
        self._points: deque[tuple[float, tuple[float, ...], float, float]] = deque()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(170)
        self._span = min(60.0, span_s)
        self.setAccessibleName("Mood over the last minutes")

    def add(self, snapshot: MoodSnapshot, now: float | None = None) -> bool:
        """Adds a point unless the last one is younger than `min_step_s`; True when added."""
        now = time.monotonic() if now is None else now
        if self._points and now - self._points[-1][0] < self.min_step_s:
            return False
        self._points.append((now, tuple(snapshot.distribution), snapshot.valence, snapshot.arousal))
        while self._points and now - self._points[0][0] > self.span_s:
            self._points.popleft()
        self.update()
        return True

    def clear(self) -> None:
        self._points.clear()
        self.update()

    def point_count(self) -> int:
        return len(self._points)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 200)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text_color = pal.color(QPalette.ColorRole.WindowText)
        metrics = p.fontMetrics()
        self._span = self.shown_span_s()
        left, right = metrics.horizontalAdvance("100%") + 8, 6
        legend_h = self._paint_legend(p, text_color) + 4
        axis_h = metrics.height() + 4
        full = QRectF(left, legend_h, self.width() - left - right, self.height() - legend_h - axis_h)
        va_h = max(30.0, full.height() * 0.28)
        area = QRectF(full.x(), full.y(), full.width(), full.height() - va_h - 6)
        va = QRectF(full.x(), area.bottom() + 6, full.width(), va_h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(pal.color(QPalette.ColorRole.Base))
        p.drawRect(area)
        p.drawRect(va)
        now = self._points[-1][0] if self._points else time.monotonic()
        if len(self._points) >= 2:
            self._paint_areas(p, area, now)
            self._paint_va(p, va, now)
        else:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       "Your mood over the last minutes appears here")
        self._paint_axes(p, area, va, now, text_color)
        p.end()

    def shown_span_s(self) -> float:
        """The time the x axis covers: one minute at first, growing with the data up to `span_s`."""
        if len(self._points) < 2:
            return min(60.0, self.span_s)
        elapsed = self._points[-1][0] - self._points[0][0]
        return min(self.span_s, max(60.0, 60.0 * (int(elapsed // 60) + 1)))

    def _x(self, rect: QRectF, t: float, now: float) -> float:
        return rect.right() - (now - t) / self._span * rect.width()

    def _paint_areas(self, p: QPainter, rect: QRectF, now: float) -> None:
        xs = [self._x(rect, t, now) for t, *_ in self._points]
        lower = [0.0] * len(xs)
        for k, emotion in enumerate(EMOTIONS):
            upper = [lo + pt[1][k] for lo, pt in zip(lower, self._points)]
            poly = QPolygonF([QPointF(x, rect.bottom() - u * rect.height()) for x, u in zip(xs, upper)] +
                             [QPointF(x, rect.bottom() - lo * rect.height()) for x, lo in
                              zip(reversed(xs), reversed(lower))])
            color = QColor(EMOTION_COLORS[emotion])
            color.setAlpha(215)
            p.setBrush(color)
            p.setPen(Qt.PenStyle.NoPen)
            p.drawPolygon(poly)
            lower = upper

    def _paint_va(self, p: QPainter, rect: QRectF, now: float) -> None:
        mid = rect.center().y()
        p.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 1, Qt.PenStyle.DotLine))
        p.drawLine(QPointF(rect.left(), mid), QPointF(rect.right(), mid))
        for index, color, style in ((2, QColor("#2bb673"), Qt.PenStyle.SolidLine),
                                    (3, QColor("#e5484d"), Qt.PenStyle.DashLine)):
            line = QPolygonF([QPointF(self._x(rect, pt[0], now), mid - pt[index] * rect.height() / 2)
                              for pt in self._points])
            p.setPen(QPen(color, 2, style))
            p.drawPolyline(line)

    def _paint_legend(self, p: QPainter, text_color: QColor) -> float:
        """Draws the legend a little smaller than the text, wrapping to a second line when narrow; returns its
        height (the painter keeps the smaller font for the axes)."""
        font = p.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        p.setFont(font)
        metrics = p.fontMetrics()
        x, y, h = 4.0, 2.0, metrics.height()
        entries = [(label(e), EMOTION_COLORS[e]) for e in EMOTIONS] + [("Valence", QColor("#2bb673")),
                                                                       ("Arousal", QColor("#e5484d"))]
        for name, color in entries:
            w = metrics.horizontalAdvance(name) + h * 0.8 + 8
            if x + w > self.width() and x > 4.0:
                x, y = 4.0, y + h + 2
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            line_style = Qt.PenStyle.DashLine if name == "Arousal" else Qt.PenStyle.SolidLine
            if name in ("Valence", "Arousal"):
                p.setPen(QPen(color, 2, line_style))
                p.drawLine(QPointF(x, y + h / 2), QPointF(x + h * 0.6, y + h / 2))
            else:
                p.drawRoundedRect(QRectF(x, y + h * 0.2, h * 0.6, h * 0.6), 2, 2)
            p.setPen(text_color)
            p.drawText(QRectF(x + h * 0.8, y, w, h), Qt.AlignmentFlag.AlignVCenter, name)
            x += w
        return y + h

    def _paint_axes(self, p: QPainter, area: QRectF, va: QRectF, now: float, text_color: QColor) -> None:
        p.setPen(text_color)
        metrics = p.fontMetrics()
        minutes = int(self._span // 60)
        for m in range(minutes + 1):
            x = area.right() - m * 60 / self._span * area.width()
            text = "now" if m == 0 else f"−{m} min"
            w = metrics.horizontalAdvance(text)
            p.drawText(QPointF(min(max(x - w / 2, area.left()), area.right() - w), va.bottom() + metrics.ascent() + 2),
                       text)
        for frac, text in ((0.0, "0%"), (1.0, "100%")):
            y = area.bottom() - frac * area.height()
            p.drawText(QRectF(0, y - metrics.height() / 2, area.left() - 4, metrics.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        for value, text in ((0.7, "+"), (-0.7, "−")):
            y = va.center().y() - value * va.height() / 2
            p.drawText(QRectF(0, y - metrics.height() / 2, va.left() - 4, metrics.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
