"""The "Journal" tab: mood over a day and over the last weeks, the day's analyses with their tracks, the tracks
liked per mood, exporting (CSV or JSON, emotune.journal.export) and deleting.

All database work runs in a one-thread pool (TaskRunner); results come back to the GUI thread by signal, so
a slow disk or a locked journal never freezes the window, and a journal error shows as a line of text here.
Deleting always asks first; the confirmation, the range dialog and the export file dialog are injectable so
tests drive them.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from emotune.core.emotions import index_of, signed
from emotune.core.errors import user_text
from emotune.gui.style import MOOD_WORDS, label
from emotune.gui.widgets.journal.chart import ChartBar, MoodChart, MoodLegend
from emotune.gui.widgets.journal.entries import DayEntries, load_day_entries
from emotune.gui.workers.tasks import TaskRunner

log = logging.getLogger(__name__)

WEEKS = 8
BIN_MINUTES = 30


@dataclass(frozen=True)
class JournalData:
    """Everything the tab shows, loaded in one background job."""

    day: dt.date
    day_bins: tuple
    week_first: dt.date
    week_bins: tuple
    liked: dict
    counts: dict
    entries: tuple = ()      # the day's analyses with their tracks (entries.DayEntry)


def load_journal_data(store, day: dt.date, today: dt.date) -> JournalData:
    """Runs in the pool thread: every query the tab needs (aggregated in SQL, so it stays fast)."""
    from emotune.journal.queries import liked_by_mood, mood_by_day, mood_over_day

    first = today - dt.timedelta(days=WEEKS * 7 - 1)
    return JournalData(day, tuple(mood_over_day(store, day, BIN_MINUTES)), first,
                       tuple(mood_by_day(store, first, today)), liked_by_mood(store), store.counts(),
                       tuple(load_day_entries(store, day)))


def export_journal(store, path: Path) -> int:
    """Pool thread: the whole journal to `path`, CSV or JSON by its suffix, readable by the user alone (the
    CLI's `emotune journal export` does the same)."""
    from emotune.journal.export import EXPORTERS
    from emotune.private_files import open_private

    write = EXPORTERS["json" if path.suffix.lower() == ".json" else "csv"]
    with open_private(path, "w", encoding="utf-8", newline="") as fh:   # 0600: it is a mood diary
        return write(store, fh)


def _ask_export_path(parent: QWidget, suggested: str) -> str:
    path, chosen = QFileDialog.getSaveFileName(parent, "Export the mood journal", suggested,
                                               "Spreadsheet (CSV) (*.csv);;JSON (*.json)")
    if path and not Path(path).suffix:
        path += ".json" if "json" in chosen.lower() else ".csv"
    return path


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _tip(when: str, b) -> str:
    return (f"{when}\n{MOOD_WORDS[b.dominant]} ({b.distribution[index_of(b.dominant)]:.0%})\n"
            f"valence {signed(b.valence)} · {b.count} samples")


def _ask_confirm(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def _ask_range(parent: QWidget, today: dt.date) -> tuple[dt.date, dt.date] | None:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Delete journal entries")
    start, end = QDateEdit(QDate(today - dt.timedelta(days=7))), QDateEdit(QDate(today))
    for edit in (start, end):
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
    form = QFormLayout(dialog)
    form.addRow(QLabel("Delete everything recorded on these days, both included:"))
    form.addRow("From", start)
    form.addRow("To", end)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    a, b = start.date().toPython(), end.date().toPython()
    return (min(a, b), max(a, b))


class JournalView(QWidget):
    """GUI thread. `store` is a JournalStore (or None: the journal is off or could not be opened)."""

    loaded = Signal(object)      # JournalData, after each refresh
    deleted = Signal(int)        # number of entries deleted
    failed = Signal(str)         # user text of a journal error
    exported = Signal(str)       # path of the file just written

    def __init__(self, store, runner: TaskRunner | None = None, parent: QWidget | None = None, *,
                 today: Callable[[], dt.date] = dt.date.today,
                 confirm: Callable[[QWidget, str, str], bool] = _ask_confirm,
                 ask_range: Callable[[QWidget, dt.date], tuple[dt.date, dt.date] | None] = _ask_range,
                 ask_export_path: Callable[[QWidget, str], str] = _ask_export_path) -> None:
        super().__init__(parent)
        self.store = store
        self._own_runner = runner is None
        self.runner = runner or TaskRunner("journal", 1)
        self._today, self._confirm, self._ask_range = today, confirm, ask_range
        self._ask_export_path = ask_export_path
        self.data: JournalData | None = None
        self._build()
        self.set_store(store)

    # -- layout ----------------------------------------------------------------------------------------------

    def _build(self) -> None:
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._charts())
        split.addWidget(self._lists())
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([640, 560])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(self._actions())

    def _day_bar(self) -> QHBoxLayout:
        """The day chart's title and the day picker (◀ date ▶, Refresh)."""
        self.day_edit = QDateEdit(QDate(self._today()))
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("ddd d MMM yyyy")
        self.day_edit.setAccessibleName("Day shown")
        self.day_edit.dateChanged.connect(lambda _d: self.refresh())
        prev_btn, next_btn = QPushButton("◀"), QPushButton("▶")
        for b in (prev_btn, next_btn):
            b.setFixedWidth(b.fontMetrics().horizontalAdvance("◀") * 3 + 12)
        prev_btn.setToolTip("Previous day")
        next_btn.setToolTip("Next day")
        prev_btn.clicked.connect(lambda: self.day_edit.setDate(self.day_edit.date().addDays(-1)))
        next_btn.clicked.connect(lambda: self.day_edit.setDate(self.day_edit.date().addDays(1)))
        self.refresh_btn = QPushButton("Refresh")
        self.refresh_btn.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>Mood over the day</b>"))
        bar.addStretch(1)
        for w in (prev_btn, self.day_edit, next_btn, self.refresh_btn):
            bar.addWidget(w)
        return bar

    def _charts(self) -> QWidget:
        """Left: the chosen day's mood, the last weeks' (a bar a day), and their legend."""
        self.day_chart = MoodChart("No moods recorded on this day")
        self.week_chart = MoodChart("No moods recorded in the last weeks")
        charts = QWidget()
        column = QVBoxLayout(charts)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(self._day_bar())
        column.addWidget(self.day_chart, 1)
        column.addWidget(QLabel(f"<b>Mood over the last {WEEKS} weeks</b> (one bar a day)"))
        column.addWidget(self.week_chart, 1)
        column.addWidget(MoodLegend())
        return charts

    def _lists(self) -> QSplitter:
        """Right: the day's entries above the liked tracks."""
        self.entries = DayEntries()
        self.liked = QTreeWidget()
        self.liked.setHeaderLabels(["Liked tracks", "Artist", "Likes"])
        self.liked.setRootIsDecorated(True)
        header = self.liked.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        lists = QSplitter(Qt.Orientation.Vertical)
        lists.addWidget(self.entries)
        lists.addWidget(self.liked)
        lists.setStretchFactor(0, 3)
        lists.setStretchFactor(1, 2)
        lists.setChildrenCollapsible(False)
        return lists

    def _actions(self) -> QHBoxLayout:
        """Bottom: what the last action did, then Export and the two Delete buttons."""
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_btn = QPushButton("&Export…")
        self.export_btn.setToolTip("Save the whole journal as a spreadsheet (CSV) or JSON file")
        self.export_btn.clicked.connect(self._on_export)
        self.delete_range_btn = QPushButton("&Delete days…")
        self.delete_all_btn = QPushButton("Delete e&verything…")
        self.delete_range_btn.clicked.connect(self._on_delete_range)
        self.delete_all_btn.clicked.connect(self.delete_all)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        for button in (self.export_btn, self.delete_range_btn, self.delete_all_btn):
            bar.addWidget(button)
        return bar

    # -- public ----------------------------------------------------------------------------------------------

    def set_store(self, store) -> None:
        """Swaps the journal (None when the user turned it off or it could not be opened)."""
        self.store = store
        enabled = store is not None
        writable = enabled and not getattr(store, "read_only", False)
        self.refresh_btn.setEnabled(enabled)
        self.export_btn.setEnabled(enabled)
        self.delete_range_btn.setEnabled(writable)
        self.delete_all_btn.setEnabled(writable)
        if not enabled:
            self.status.setText("The mood journal is off. Turn on “Keep a mood journal” in Settings to record "
                                "your moods on this computer.")
            self._show(None)
            return
        self.status.setText(getattr(store, "notice", None) or "Loading the journal…")
        self.refresh()

    def refresh(self) -> None:
        """Reloads the charts and lists in the background."""
        if self.store is None:
            return
        store, day, today = self.store, self.day_edit.date().toPython(), self._today()
        self.runner.run(lambda report, cancel: load_journal_data(store, day, today),
                        on_done=self._show, on_error=self._on_error)

    def delete_range(self, first: dt.date, last: dt.date) -> bool:
        """Deletes the entries of the days first..last (both included) after the user confirms."""
        if self.store is None:
            return False
        text = (f"Delete every mood, analysis and feedback recorded from {first:%d %b %Y} to {last:%d %b %Y}? "
                "This can't be undone.")
        if not self._confirm(self, "Delete journal entries", text):
            return False
        start = dt.datetime.combine(first, dt.time()).timestamp()
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time()).timestamp()
        store = self.store
        self.runner.run(lambda report, cancel: store.delete_range(start, end), on_done=self._on_deleted,
                        on_error=self._on_error)
        return True

    def delete_all(self) -> bool:
        if self.store is None:
            return False
        if not self._confirm(self, "Delete the whole journal",
                             "Delete everything in your mood journal: all moods, analyses, tracks and feedback? "
                             "Recommendations forget what you liked. This can't be undone."):
            return False
        store = self.store
        self.runner.run(lambda report, cancel: store.delete_all(), on_done=self._on_deleted, on_error=self._on_error)
        return True

    def export(self) -> bool:
        """Asks where, then writes the whole journal there in the background; the status line says how it went."""
        if self.store is None:
            return False
        suggested = str(Path.home() / f"emotune-journal-{self._today():%Y-%m-%d}.csv")
        path = self._ask_export_path(self, suggested)
        if not path:
            return False
        store, target = self.store, Path(path)
        self.status.setText(f"Exporting the journal to {target}…")
        self.runner.run(lambda report, cancel: export_journal(store, target),
                        on_done=lambda n: self._on_exported(n, target), on_error=self._on_error)
        return True

    def shutdown(self) -> None:
        """Waits for a running query (the window calls this on close)."""
        if self._own_runner:
            self.runner.shutdown()

    # -- results (GUI thread) --------------------------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.refresh()

    def _on_delete_range(self) -> None:
        picked = self._ask_range(self, self._today())
        if picked:
            self.delete_range(*picked)

    def _on_export(self) -> None:
        self.export()

    def _on_exported(self, n: int, path: Path) -> None:
        self.status.setText(f"Exported {n} journal entries to {path}. Only you can read the file.")
        self.exported.emit(str(path))

    def _on_deleted(self, n: int) -> None:
        self.status.setText(f"Deleted {n} journal entries.")
        self.deleted.emit(int(n))
        self.refresh()

    def _on_error(self, exc: Exception) -> None:
        text = user_text(exc, "The journal could not be read")
        log.warning("journal view: %s", text)
        self.status.setText(text)
        self.failed.emit(text)

    def _show(self, data: JournalData | None) -> None:
        self.data = data
        if data is None:
            self.day_chart.set_bars([], [])
            self.week_chart.set_bars([], [])
            self.liked.clear()
            self.entries.show_entries([])
            return
        width = BIN_MINUTES / (24 * 60)
        day0 = dt.datetime.combine(data.day, dt.time()).timestamp()
        self.day_chart.set_bars(
            [ChartBar((b.start - day0) / 86400, width, b.distribution, b.valence,
                      _tip(f"{data.day:%a %d %b} {b.label}", b)) for b in data.day_bins],
            [(h / 24, f"{h:02d}:00") for h in range(0, 25, 3)])
        self.entries.show_entries(list(data.entries))
        days = WEEKS * 7
        bars = []
        for b in data.week_bins:
            offset = (dt.date.fromisoformat(b.label) - data.week_first).days
            bars.append(ChartBar(offset / days, 1 / days, b.distribution, b.valence, _tip(b.label, b)))
        ticks = [(i / days, f"{data.week_first + dt.timedelta(days=i):%d %b}") for i in range(0, days, 7)]
        self.week_chart.set_bars(bars, ticks)
        self.liked.clear()
        for mood, tracks in sorted(data.liked.items()):
            parent = QTreeWidgetItem([f"{label(mood)} ({len(tracks)})" if mood else "Any mood", "", ""])
            for t in tracks:
                QTreeWidgetItem(parent, [t.title or t.track_id, t.artist.replace("; ", ", "), str(t.likes)])
            self.liked.addTopLevelItem(parent)
            parent.setExpanded(True)
        if not data.liked:
            hint = QTreeWidgetItem(["Press ♥ Like under a track to see it here", "", ""])
            hint.setToolTip(0, hint.text(0))
            self.liked.addTopLevelItem(hint)
        n = data.counts.get("snapshots", 0)
        if not (self.store and self.store.notice and self.status.text() == self.store.notice):
            feedback = _count(data.counts.get("feedback", 0), "feedback entry", "feedback entries")
            self.status.setText(f"{_count(n, 'mood sample')}, {feedback}, stored only on this computer "
                                f"({self.store.path if self.store else ''}).")
        self.loaded.emit(data)
