"""The Help menu's pages: how EmoTune works, the keyboard shortcuts, where the data is, and About. Plain words
for a user; each page is a short rich-text message box, so it reads the same on every platform."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from emotune import __version__
from emotune.appdirs import AppDirs
from emotune.journal.store import FILENAME as JOURNAL_FILE

PRIVACY = ("No camera frame, face or emotion score leaves this computer. EmoTune uses the network only when you "
           "connect Spotify (search words and the tracks of a playlist you save go to Spotify) or press Download "
           "for the larger analysis model (fetched from huggingface.co).")

HOW_IT_WORKS = (
    "<p><b>1. Your face.</b> EmoTune finds the faces in the camera picture, a video or a photo and reads the "
    "emotion on each, on this computer.</p>"
    "<p><b>2. Your mood.</b> The Mood panel smooths the main face's emotions over a few seconds into a mood, "
    "with how pleasant (valence) and how energised (arousal) it is.</p>"
    "<p><b>3. Capture mood</b> (Ctrl+Enter) freezes that mood: a small language model on this computer writes "
    "a short analysis, and the Tracks panel lists music that matches your mood or gently lifts it. "
    "<b>Auto</b> does this by itself when your mood changes and stays changed.</p>"
    "<p><b>4. Teach it.</b> ♥ Like, Skip and <i>Not for this mood</i> shape the next lists. When the camera "
    "cannot see you well, Mood → I feel… sets the mood by hand.</p>"
    "<p><b>5. The Journal tab</b> shows your mood over the day and the last weeks, the analyses with their "
    "tracks, and lets you export or delete them.</p>")


NAMES = {"Space": "Start or stop reading the camera or file"}   # the action's own text says only one of the two


def shortcut_rows(actions) -> str:
    """An HTML table of the actions that have a shortcut, in the order given."""
    rows = [(NAMES.get(a.shortcut().toString(), a.text().replace("&", "")),
             a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
            for a in actions if a is not None and not a.shortcut().isEmpty()]
    return "<table>" + "".join(f"<tr><td>{name}</td><td>&nbsp;&nbsp;<b>{keys}</b></td></tr>"
                               for name, keys in rows) + "</table>"


def data_text(dirs: AppDirs, settings_path: str) -> str:
    def at(path: Path | str) -> str:
        return f"<br><code>{path}</code>"

    return ("<p>Everything EmoTune keeps stays on this computer, in files only you can read:</p>"
            f"<p><b>Settings</b>{at(settings_path)}</p>"
            f"<p><b>Mood journal</b> (moods, analyses, tracks shown, your likes){at(dirs.data / JOURNAL_FILE)}<br>"
            "Journal tab: Export… or Delete…; Settings → General turns it off.</p>"
            f"<p><b>Logs</b> (no pictures, no faces){at(dirs.log)}</p>"
            f"<p><b>Downloaded models and caches</b>{at(dirs.cache)}</p>"
            f"<p>{PRIVACY}</p>")


def show_how_it_works(parent: QWidget) -> None:
    QMessageBox.information(parent, "How EmoTune works", HOW_IT_WORKS)


def show_shortcuts(parent: QWidget, actions) -> None:
    QMessageBox.information(parent, "Keyboard shortcuts",
                            shortcut_rows(actions) + "<p>Tab moves between the controls; Alt and the underlined "
                            "letter opens a menu.</p>")


def show_data(parent: QWidget, settings_path: str, dirs: AppDirs | None = None) -> None:
    QMessageBox.information(parent, "Where is my data?", data_text(dirs or AppDirs.default(), settings_path))


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About EmoTune",
                      f"<b>EmoTune {__version__}</b><p>Your mood, read on your own computer, turned into "
                      f"music.</p><p>{PRIVACY}</p>")
