"""The bar under the picture while a folder of photos is open: previous / next (buttons, ← → and Page Up /
Page Down) and which photo this is. Hidden for a camera, a video or a single photo, so its keys are free then."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from emotune.gui.services.source_plan import SourcePlan


class PhotoStepBar(QWidget):
    """GUI thread. Emits the step the user asked for (-1 or +1); the window opens that photo."""

    step_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.previous_action = self._action("◀ Previous photo", ("Left", "PgUp"), -1,
                                            "The previous photo in the folder (← or Page Up)")
        self.next_action = self._action("Next photo ▶", ("Right", "PgDown"), +1,
                                        "The next photo in the folder (→ or Page Down)")
        self.position = QLabel("")
        self.position.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.position.setAccessibleName("Which photo of the folder is shown")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        for action in (self.previous_action, None, self.next_action):
            if action is None:
                row.addWidget(self.position, 1)
                continue
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            row.addWidget(button)
        self.setVisible(False)

    def _action(self, text: str, keys: tuple[str, ...], delta: int, tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip)
        action.triggered.connect(lambda: self.step_requested.emit(delta))
        self.addAction(action)
        return action

    def show_plan(self, plan: SourcePlan | None) -> None:
        """Shown for a folder only, with the buttons that lead somewhere enabled."""
        folder = plan is not None and plan.is_folder
        self.setVisible(folder)
        self.previous_action.setEnabled(folder and plan.stepped(-1) is not None)
        self.next_action.setEnabled(folder and plan.stepped(+1) is not None)
        self.position.setText(plan.position() if folder else "")
