"""The toolbar: source picker (cameras found + "Open video or image…"), start/stop, "Capture mood", auto mode,
the manual mood override and settings. It only emits what the user asked for; the window acts on it."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QMenu, QToolBar, QToolButton, QWidget

from emotune.core.emotions import EMOTIONS
from emotune.gui.style import label

OPEN_FILE = "__open__"
OPEN_FOLDER = "__folder__"
OPENERS = (("Open video or image…", OPEN_FILE), ("Open a folder of photos…", OPEN_FOLDER))   # the last entries


class Controls(QToolBar):
    """GUI thread."""

    source_chosen = Signal(object)      # int camera index or str file path
    open_file_requested = Signal()
    open_folder_requested = Signal()
    start_stop_requested = Signal()
    capture_requested = Signal()
    auto_changed = Signal(bool)
    manual_mood_changed = Signal(str)   # "" means "use the detected mood"
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Controls", parent)
        self.setMovable(False)
        self.source = QComboBox()
        self.source.setMinimumContentsLength(18)
        self.source.setToolTip("Camera, video or image to read the mood from")
        self.source.addItem("Looking for cameras…", None)
        for text, data in OPENERS:
            self.source.addItem(text, data)
        self.source.activated.connect(self._on_source_activated)

        self.open_action = QAction("Open video or image…", self, shortcut=QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_file_requested)
        self.start_action = QAction("▶ Start", self, shortcut=QKeySequence("Space"))
        self.start_action.setToolTip("Start or stop reading the camera (Space)")
        self.start_action.triggered.connect(self.start_stop_requested)
        self.capture_action = QAction("Capture mood", self, shortcut=QKeySequence("Ctrl+Return"))
        self.capture_action.setToolTip("Freeze the current mood and find tracks for it (Ctrl+Enter)")
        self.capture_action.triggered.connect(self.capture_requested)
        self.settings_action = QAction("Settings…", self, shortcut=QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.settings_requested)

        self.auto = QCheckBox("Auto")
        self.auto.setToolTip("Fetch new tracks by itself when your mood changes and stays changed")
        self.auto.toggled.connect(self.auto_changed)
        self.manual = QComboBox()
        self.manual.setToolTip("Set the mood by hand when detection fails or you want other music")
        self.manual.addItem("Detected mood", "")
        for emotion in EMOTIONS:
            self.manual.addItem(f"I feel: {label(emotion)}", emotion)
        self.mood_actions: dict[str, QAction] = {}   # the "I feel…" menu's entries, once mood_menu made it
        self.manual.currentIndexChanged.connect(lambda _: self.manual_mood_changed.emit(self.manual.currentData()))

        source_label = QLabel(" &Source ")
        source_label.setBuddy(self.source)
        self.addWidget(source_label)
        self.addWidget(self.source)
        self.addAction(self.open_action)
        self.addAction(self.start_action)
        self.addSeparator()
        self.addAction(self.capture_action)
        self.addWidget(self.auto)
        self.addWidget(self.manual)
        self.addSeparator()
        self.addAction(self.settings_action)
        self.auto.setAccessibleName("Auto: fetch new tracks when my mood changes")
        self.manual.setAccessibleName("Mood override")
        for button in self.findChildren(QToolButton):   # the toolbar's action buttons join the Tab order
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    def set_cameras(self, indices: list[int], selected: int | None = None) -> None:
        current = self.source.currentData()
        openers = {data for _text, data in OPENERS}
        files = [(self.source.itemText(i), self.source.itemData(i)) for i in range(self.source.count())
                 if isinstance(self.source.itemData(i), str) and self.source.itemData(i) not in openers]
        self.source.clear()
        for index in indices:
            self.source.addItem(f"Camera {index}", index)
        if not indices:
            self.source.addItem("No camera found", None)
        for text, data in files + list(OPENERS):
            self.source.addItem(text, data)
        want = current if current is not None else selected
        pos = self.source.findData(want) if want is not None else -1
        self.source.setCurrentIndex(pos if pos >= 0 else 0)

    def show_source(self, spec: int | str) -> None:
        """Selects (adding if needed) the entry for a camera index or a file path."""
        pos = self.source.findData(spec)
        if pos < 0:
            text = f"Camera {spec}" if isinstance(spec, int) else Path(spec).name
            pos = self.source.count() - len(OPENERS)
            self.source.insertItem(pos, text, spec)
            self.source.setItemData(pos, str(spec), 3)  # tooltip role: the full path
        self.source.setCurrentIndex(pos)

    def set_running(self, running: bool) -> None:
        self.start_action.setText("■ Stop" if running else "▶ Start")

    def set_manual(self, emotion: str) -> None:
        self.manual.setCurrentIndex(max(0, self.manual.findData(emotion)))

    def mood_menu(self, parent: QWidget) -> QMenu:
        """The mood override as a menu ("I feel…"), in step with the toolbar's combo both ways."""
        menu = QMenu("&I feel…", parent)
        group = QActionGroup(menu)
        actions: dict[str, QAction] = {}
        for i in range(self.manual.count()):
            emotion = self.manual.itemData(i)
            action = QAction(label(emotion) if emotion else "Detected mood", menu, checkable=True)
            action.triggered.connect(lambda _=False, e=emotion: self.set_manual(e))
            group.addAction(action)
            menu.addAction(action)
            actions[emotion] = action
        actions[self.manual.currentData()].setChecked(True)
        self.manual_mood_changed.connect(lambda e: actions[e].setChecked(True))
        self.mood_actions = actions
        return menu

    def _on_source_activated(self, index: int) -> None:
        data = self.source.itemData(index)
        if data == OPEN_FILE:
            self.open_file_requested.emit()
        elif data == OPEN_FOLDER:
            self.open_folder_requested.emit()
        elif data is not None:
            self.source_chosen.emit(data)
