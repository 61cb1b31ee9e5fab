"""Settings' "better analysis model" box: the opt-in download of one recommended GGUF
(emotune.llm.model_files.model_download).

Nothing is fetched until the user presses Download; the box says what, how big, under which licence and from
where before that. The download runs in its own one-thread pool (never the GUI thread) with a progress bar;
Cancel keeps what came, and the button then offers to resume. When the file is complete and checked,
`downloaded(path)` lets the dialog put it into "Language model file".
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from emotune.gui.style import breakable
from emotune.gui.workers.tasks import TaskRunner
from emotune.llm.model_files.model_download import (
    RECOMMENDED,
    DownloadCancelled,
    ModelOffer,
    download_model,
    partial_files,
)

log = logging.getLogger(__name__)


class ModelDownloadBox(QGroupBox):
    """GUI thread. `downloaded` carries the GGUF's path once it is complete and verified."""

    downloaded = Signal(str)   # path of the downloaded GGUF

    def __init__(self, folder: Path, offer: ModelOffer = RECOMMENDED, parent: QWidget | None = None) -> None:
        super().__init__("Better analysis model (optional download)", parent)
        self.folder = Path(folder)
        self.offer = offer
        self._runner = TaskRunner("model-download", max_threads=1)
        self._cancel: threading.Event | None = None
        about = QLabel(
            f"The built-in model is small and fast. For richer readings you can download {offer.title} "
            f"({offer.size_text}, {offer.licence} licence) from huggingface.co into {self.folder}. "
            "Nothing is downloaded unless you press Download; apart from Spotify this is EmoTune's only "
            "network use, and your measurements never leave this computer.")
        about.setWordWrap(True)
        self.progress = QProgressBar(minimum=0, maximum=1000, value=0)
        self.progress.setVisible(False)
        self.start_button = QPushButton()
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel download", enabled=False)
        self.cancel_button.clicked.connect(self.cancel)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(self.start_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self._idle()

    @property
    def target(self) -> Path:
        return self.folder / self.offer.filename

    def busy(self) -> bool:
        return self._cancel is not None

    def _idle(self) -> None:
        self._cancel = None
        self.cancel_button.setEnabled(False)
        if self.target.exists():
            self.start_button.setText("Downloaded")
            self.start_button.setEnabled(False)
            return
        resume = bool(self.folder.is_dir() and partial_files(self.offer, self.folder))
        self.start_button.setText("Resume download" if resume else f"Download ({self.offer.size_text})")
        self.start_button.setEnabled(True)

    def start(self) -> None:
        if self.busy():
            return
        cancel = self._cancel = threading.Event()
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(True)
        self.set_status("Connecting to huggingface.co…")

        def job(report, _runner_cancel):
            return download_model(self.offer, self.folder, lambda done, total: report((done, total)), cancel)

        self._runner.run(job, self._done, self._failed, self._progress)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.set_status("Cancelling…")

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stops a running download (its partial file stays for a later resume) and waits for the worker."""
        if self._cancel is not None:
            self._cancel.set()
        self._runner.shutdown(timeout_ms)

    def set_status(self, text: str) -> None:
        """The explanation under the buttons, whole: long paths and addresses wrap too, the tooltip keeps it
        verbatim."""
        self.status.setText(breakable(text))
        self.status.setToolTip(text)

    def status_text(self) -> str:
        return self.status.toolTip() or self.status.text()

    def _progress(self, value) -> None:
        done, total = value
        if total:
            self.progress.setValue(int(1000 * done / total))
            self.set_status(f"Downloading {self.offer.title}: {done / 1e6:.0f} of {total / 1e6:.0f} MB")

    def _done(self, path) -> None:
        self.progress.setValue(1000)
        self.set_status(f"Downloaded and checked: {path}. It is now the analysis model.")
        self._idle()
        self.downloaded.emit(str(path))

    def _failed(self, exc: Exception) -> None:
        cancelled = isinstance(exc, DownloadCancelled)
        text = str(exc) if cancelled or str(exc) else f"The download failed: {exc!r}"
        self.set_status(text)
        if not cancelled:
            log.warning("model download failed: %s", exc)
        self._idle()
