"""The Journal tab's list of one day's analyses, each with the tracks that were suggested after it.

`load_day_entries` runs in the journal's pool thread (two indexed queries); `DayEntries` only presents. A track
list belongs to the last analysis before it in the same session (a list fetched with Refresh joins the
analysis it refreshed); lists with no analysis before them stand on their own.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QHeaderView, QStyledItemDelegate, QTreeWidget, QTreeWidgetItem, QWidget

from emotune.gui.style import MOOD_WORDS


@dataclass(frozen=True)
class ShownTrack:
    title: str
    artist: str


@dataclass
class DayEntry:
    """One analysis (text may be empty: a track list with no analysis before it) and the tracks after it."""

    ts: float
    mood: str
    text: str
    mode: str = ""
    tracks: list[ShownTrack] = field(default_factory=list)


def load_day_entries(store, day: dt.date) -> list[DayEntry]:
    """Pool thread: the day's analyses with their tracks, oldest first."""
    start = dt.datetime.combine(day, dt.time()).timestamp()
    end = start + 86400
    analyses = store.query("SELECT ts, session_id, mood, text FROM analyses WHERE ts >= ? AND ts < ? ORDER BY ts, id",
                           (start, end))
    tracks = store.query("SELECT ts, session_id, mood, mode, title, artist, track_id FROM tracks_shown "
                         "WHERE ts >= ? AND ts < ? ORDER BY ts, position, id", (start, end))
    entries = [DayEntry(ts, mood, text) for ts, _sid, mood, text in analyses]
    sessions = [sid for _ts, sid, _m, _t in analyses]
    for ts, sid, mood, mode, title, artist, track_id in tracks:
        owner = next((e for e, s in zip(reversed(entries), reversed(sessions))
                      if e.ts <= ts and s == sid and e.text), None)
        if owner is None:   # a list with no analysis before it: its own entry, one per list (same ts)
            owner = next((e for e in entries if not e.text and e.ts == ts), None)
            if owner is None:
                owner = DayEntry(ts, mood, "")
                entries.append(owner)
                sessions.append(sid)
        owner.mode = owner.mode or mode
        owner.tracks.append(ShownTrack(title or track_id, (artist or "").replace("; ", ", ")))
    return sorted(entries, key=lambda e: e.ts)


class _Wrapping(QStyledItemDelegate):
    """Rows as tall as their wrapped text at the column's width (QTreeView alone keeps one line and elides)."""

    def __init__(self, view: QTreeWidget) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt API
        hint = super().sizeHint(option, index)
        if index.column() != 0:
            return hint
        depth, parent = 1, index.parent()
        while parent.isValid():
            depth, parent = depth + 1, parent.parent()
        width = max(60, self._view.columnWidth(0) - depth * self._view.indentation() - 12)
        text = str(index.data() or "")
        height = option.fontMetrics.boundingRect(QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, text).height()
        return QSize(hint.width(), max(hint.height(), height + 4))


class DayEntries(QTreeWidget):
    """GUI thread. One row per analysis (time, mood, the text wrapped), its tracks as children."""

    EMPTY = "No analyses on this day. Press “Capture mood” on the Live tab to get one."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Analyses and their tracks", "Time"])
        self.setAccessibleName("The day's analyses and their tracks")
        self.setWordWrap(True)
        self.setUniformRowHeights(False)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.setItemDelegate(_Wrapping(self))
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        header.sectionResized.connect(lambda *_: self.doItemsLayout())   # rows re-wrap at the new width
        self.show_entries([])

    def show_entries(self, entries: list[DayEntry]) -> None:
        self.clear()
        if not entries:
            self.addTopLevelItem(QTreeWidgetItem([self.EMPTY, ""]))
            return
        for entry in entries:
            mood = MOOD_WORDS.get(entry.mood, entry.mood.capitalize() or "Mood")
            head = f"{mood}: {entry.text}" if entry.text else f"{mood}: tracks without an analysis"
            item = QTreeWidgetItem([head, dt.datetime.fromtimestamp(entry.ts).strftime("%H:%M")])
            item.setToolTip(0, entry.text or head)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
            for n, track in enumerate(entry.tracks, 1):
                text = f"{n}. {track.title} — {track.artist}" if track.artist else f"{n}. {track.title}"
                QTreeWidgetItem(item, [text, ""]).setToolTip(0, text)   # a long one is elided: whole on hover
            self.addTopLevelItem(item)
        self.topLevelItem(self.topLevelItemCount() - 1).setExpanded(True)

    def texts(self) -> list[str]:
        """Every row's first column, parents before their children (for tests and accessibility checks)."""
        out = []
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            out.append(top.text(0))
            out += [top.child(j).text(0) for j in range(top.childCount())]
        return out
