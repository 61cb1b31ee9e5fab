"""The Live page's layout: three columns (the picture with the main face's bars, the mood and its analysis, the
tracks at full height so four or more are in view), each split so no panel can be squeezed to nothing."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QSplitter, QVBoxLayout, QWidget


def _group(title: str, widget: QWidget, stretch: bool = True) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.addWidget(widget, 1 if stretch else 0)
    return box


def _column(*parts: QWidget) -> QSplitter:
    column = QSplitter(Qt.Orientation.Vertical)
    for part in parts:
        column.addWidget(part)
    column.setChildrenCollapsible(False)
    return column


def build_live_page(view: QWidget, photo_bar: QWidget, bars: QWidget, mood: QWidget, analysis: QWidget,
                    tracks: QWidget) -> QSplitter:
    """Lays the given panels out; it owns none of them."""
    picture = QWidget()
    picture_layout = QVBoxLayout(picture)
    picture_layout.setContentsMargins(0, 0, 0, 0)
    picture_layout.addWidget(view, 1)
    picture_layout.addWidget(photo_bar)
    left = _column(picture, _group("Main face", bars, stretch=False))
    left.setStretchFactor(0, 1)
    middle = _column(_group("Mood", mood), _group("Analysis", analysis))
    middle.setSizes([400, 300])
    live = QSplitter(Qt.Orientation.Horizontal)
    for column, stretch in ((left, 4), (middle, 3), (_group("Tracks", tracks), 4)):
        live.addWidget(column)
        live.setStretchFactor(live.count() - 1, stretch)
    live.setSizes([440, 360, 440])
    live.setChildrenCollapsible(False)
    return live
