"""The window's menu bar: File, Mood, View and Help. The toolbar's actions are reused (one action per command,
whether reached by menu, toolbar or shortcut); the rest are made here and handed back to the window, which
wires them to what they do."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from emotune.gui.dialogs import help_dialogs
from emotune.gui.widgets.controls import Controls


@dataclass
class WindowActions:
    """The menu bar's own actions (the toolbar's stay on Controls)."""

    open_folder: QAction
    fullscreen: QAction
    spotify: QAction
    disconnect: QAction
    quit: QAction
    mood_menu: QMenu
    help: list[QAction | None] = field(default_factory=list)
    shortcuts: list[QAction] = field(default_factory=list)   # what Help → Keyboard shortcuts lists


def build_menus(window: QMainWindow, controls: Controls, *, open_folder: Callable[[], object],
                toggle_fullscreen: Callable[[bool], object], connect: Callable[[], object],
                disconnect: Callable[[], object], settings_path: Callable[[], str]) -> WindowActions:
    c = controls
    quit_action = QAction("&Quit", window, shortcut=QKeySequence.StandardKey.Quit, triggered=window.close)
    fullscreen = QAction("&Full screen", window, shortcut=QKeySequence("F11"), checkable=True)
    fullscreen.toggled.connect(toggle_fullscreen)
    folder = QAction("Open a &folder of photos…", window, shortcut=QKeySequence("Ctrl+Shift+O"))
    folder.triggered.connect(lambda: open_folder())
    spotify = QAction("&Connect Spotify…", window)
    spotify.triggered.connect(lambda: connect())
    spotify.setToolTip("Log in with your own Spotify app (Client ID in Settings)")
    drop = QAction("&Disconnect Spotify", window)
    drop.triggered.connect(lambda: disconnect())
    drop.setToolTip("Forget the Spotify login stored on this computer")
    drop.setEnabled(False)   # enabled while connected (EngineWiring)
    acts = WindowActions(folder, fullscreen, spotify, drop, quit_action, c.mood_menu(window))
    acts.help = [QAction("&How EmoTune works", window, shortcut=QKeySequence.StandardKey.HelpContents,
                         triggered=lambda: help_dialogs.show_how_it_works(window)),
                 QAction("&Keyboard shortcuts", window,
                         triggered=lambda: help_dialogs.show_shortcuts(window, acts.shortcuts)),
                 QAction("&Where is my data?", window,
                         triggered=lambda: help_dialogs.show_data(window, settings_path())),
                 None, QAction("&About EmoTune", window, triggered=lambda: help_dialogs.show_about(window))]
    acts.shortcuts = [c.open_action, folder, c.start_action, c.capture_action, c.settings_action, fullscreen,
                      acts.help[0], quit_action]
    for title, entries in (("&File", [c.open_action, folder, c.settings_action, None, spotify, drop, None,
                                      quit_action]),
                           ("&Mood", [c.start_action, c.capture_action, None, acts.mood_menu]),
                           ("&View", [fullscreen]), ("&Help", acts.help)):
        menu = window.menuBar().addMenu(title)
        for entry in entries:
            if entry is None:
                menu.addSeparator()
            elif isinstance(entry, QMenu):
                menu.addMenu(entry)
            else:
                menu.addAction(entry)
    window.addAction(fullscreen)   # F11 works in full screen too, where the menu bar is hidden
    return acts
