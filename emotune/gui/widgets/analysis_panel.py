"""The analysis of the mood, shown as it passes the checks (the measured first sentence at once, the local
language model's once it is valid), with a line saying where it came from (the local LLM, the short summary
that stands in for it, or the plain summary)."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from emotune.gui.services.interfaces import AnalysisView

SOURCE_WORDS = {
    "llm": "Written by the local language model",
    "fallback": "Computed from the measured mood, not by the language model",
    "summary": "Computed from the measured mood (no language model)",
}


class AnalysisPanel(QWidget):
    """GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_label = QLabel("")
        self.source_label.setEnabled(False)
        self.source_label.setWordWrap(True)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        # a placeholder is drawn on one line, never wrapped: short enough for the window at its minimum size
        self.text.setPlaceholderText("Press “Capture mood” for a reading.")
        self.text.setMinimumHeight(70)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.source_label)
        self.last: AnalysisView | None = None

    def begin(self, note: str = "Thinking…") -> None:
        self.text.clear()
        self.source_label.setText(note)

    def show_partial(self, text: str) -> None:
        """Shows the text written so far: only the new end is inserted while it grows (no flicker, the user's
        selection stays); a text that changed earlier replaces the whole."""
        current = self.text.toPlainText()
        if text.startswith(current):
            cursor = self.text.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(text[len(current):])
        else:
            self.text.setPlainText(text)
        self.text.ensureCursorVisible()

    def finish(self, view: AnalysisView) -> None:
        self.last = view
        if self.text.toPlainText().strip() != view.text.strip():
            self.text.setPlainText(view.text)
        words = SOURCE_WORDS.get(view.source, view.source)
        if not view.note:
            self.source_label.setText(f"{words}.")
        elif view.source == "llm":
            self.source_label.setText(f"{words} ({view.note}).")
        elif view.source == "fallback":   # the note says plainly what stands in (llm_service.fallback_note)
            self.source_label.setText(f"{view.note.rstrip('.')}.")
        else:
            self.source_label.setText(f"{words}: {view.note.rstrip('.')}.")

    def show_error(self, text: str) -> None:
        self.source_label.setText(text)

    def plain_text(self) -> str:
        return self.text.toPlainText()
