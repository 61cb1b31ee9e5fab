"""Settings → Music: the preferred genres as typed text and as a checklist of the catalog's genre families, kept
in step both ways (ticking a family adds it to the text; typing a family's name ticks it)."""
from __future__ import annotations

from typing import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem

from emotune.music.lists.coverage import split_offered


class GenrePicker:
    """The two widgets (`field`, `list`) the dialog lays out, and what keeps them in step. The list says it is
    counting until `show_counts` fills it from a worker's result (the list the analysis chooses from too)."""

    def __init__(self, genres: Sequence[str]) -> None:
        self.field = QLineEdit(", ".join(genres))
        self.field.setPlaceholderText("e.g. rock, hard rock, neo soul")
        self.list = QListWidget()
        self.list.setAccessibleName("Genre families")
        self.list.setMinimumHeight(120)
        self.list.addItem("Counting the catalog's tracks per genre…")
        self.list.itemChanged.connect(self._ticked)
        self.field.textChanged.connect(self._tick_typed)

    def show_counts(self, counts: Mapping[str, int]) -> None:
        """Lists the catalog's genre families with their track counts, ticked where preferred. GUI thread."""
        self.list.blockSignals(True)
        self.list.clear()
        offered, few = split_offered(counts)       # a thin family cannot fill a list for every mood: listed last
        for family in offered + (["more (few tracks)"] if few else []) + few:
            if family not in counts:                                   # the heading of the thin families
                heading = QListWidgetItem(family)
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.list.addItem(heading)
                continue
            item = QListWidgetItem(f"{family} ({counts[family]:,} tracks)")
            item.setData(Qt.ItemDataRole.UserRole, family)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.list.setToolTip("A family also finds its subgenres (rock: hard rock, album rock, …); type a "
                             "subgenre above to keep to it alone.")
        self._tick_typed()

    def show_error(self, text: str) -> None:
        self.list.clear()
        self.list.addItem(f"No genre list: {text}")

    def typed(self) -> list[str]:
        return [g.strip() for g in self.field.text().split(",") if g.strip()]

    def _tick_typed(self) -> None:
        typed = {g.lower() for g in self.typed()}
        self.list.blockSignals(True)
        for i in range(self.list.count()):
            item = self.list.item(i)
            family = item.data(Qt.ItemDataRole.UserRole)
            if family:
                item.setCheckState(Qt.CheckState.Checked if family in typed else Qt.CheckState.Unchecked)
        self.list.blockSignals(False)

    def _ticked(self, item: QListWidgetItem) -> None:
        family = item.data(Qt.ItemDataRole.UserRole)
        if not family:
            return
        typed = [g for g in self.typed() if g.lower() != family]
        if item.checkState() == Qt.CheckState.Checked:
            typed.append(family)
        self.field.setText(", ".join(typed))
