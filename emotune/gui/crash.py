"""Uncaught errors in any thread are logged and, for a person at the screen, shown in a dialog.

The dialog is off when EMOTUNE_NO_CRASH_DIALOG=1, under pytest, or offscreen (self-test, CI): there the log
is the report. A dialog for an error in a worker thread is posted to the GUI thread.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

log = logging.getLogger("emotune.crash")


def dialogs_enabled() -> bool:
    return not (os.environ.get("EMOTUNE_NO_CRASH_DIALOG") == "1" or "pytest" in sys.modules
                or QGuiApplication.platformName() in ("offscreen", "minimal"))


class CrashReporter(QObject):
    """Installs the hooks; keep it alive as long as the app (the app object owns it)."""

    _show = Signal(str)   # formatted traceback

    def __init__(self) -> None:
        super().__init__()
        self._show.connect(self._dialog, Qt.ConnectionType.QueuedConnection)
        self._previous = (sys.excepthook, threading.excepthook)
        self.count = 0

    def install(self) -> CrashReporter:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_hook
        return self

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def _excepthook(self, exc_type, exc, tb) -> None:
        self._report("".join(traceback.format_exception(exc_type, exc, tb)))

    def _thread_hook(self, args) -> None:
        if args.exc_type is SystemExit:
            return
        self._report("".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))

    def _report(self, text: str) -> None:
        self.count += 1
        log.error("uncaught error:\n%s", text)
        if dialogs_enabled():
            self._show.emit(text)

    @Slot(str)
    def _dialog(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "EmoTune hit an error",
                          "Something went wrong. EmoTune keeps running; the details are in the log.")
        box.setDetailedText(text)
        box.exec()
