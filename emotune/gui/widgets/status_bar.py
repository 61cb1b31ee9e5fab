"""The status bar: camera on/off, view fps, ms per face, dropped frames, models loaded, online/offline, and
the model-loading progress while it lasts."""
from __future__ import annotations

import html

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from emotune.gui.workers.inference_worker import ModelStatus


class StatusBar(QStatusBar):
    """GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.camera = QLabel("○ Capture off")
        self.camera.setToolTip("Whether EmoTune is reading the camera or file right now")
        self.fps = QLabel("– fps")
        self.fps.setToolTip("Frames shown per second")
        self.face_ms = QLabel("– ms/face")
        self.face_ms.setToolTip("Time the emotion model takes per face")
        self.dropped = QLabel("")
        self.dropped.setToolTip("Frames skipped because analysis was busy (the picture never lags for it)")
        self.models = QLabel("Models: loading…")
        self.network = QLabel("Offline")
        self.link = QLabel()          # the last saved playlist, clickable
        self.link.setOpenExternalLinks(True)
        self.link.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        for widget in (self.progress, self.camera, self.fps, self.face_ms, self.dropped, self.models, self.link,
                       self.network):
            self.addPermanentWidget(widget)

    def set_capturing(self, on: bool, description: str = "") -> None:
        self.camera.setText(f"● {description or 'Capture'} on" if on else "○ Capture off")
        self.camera.setStyleSheet("color: #e5484d; font-weight: bold;" if on else "")

    def set_rates(self, fps: float, ms_per_face: float | None, dropped: int) -> None:
        self.fps.setText(f"{fps:.0f} fps")
        self.face_ms.setText(f"{ms_per_face:.1f} ms/face" if ms_per_face else "– ms/face")
        self.dropped.setText(f"{dropped} frames not analysed" if dropped else "")

    def set_model_progress(self, message: str, percent: int) -> None:
        self.progress.setVisible(percent < 100)
        self.progress.setValue(percent)
        if percent < 100:
            self.showMessage(message)
        else:
            self.clearMessage()

    def set_models(self, status: ModelStatus | None, analysis: str = "") -> None:
        if status is None:
            parts = ["loading…"]
        else:
            parts = ["faces ✓" if status.detector else "faces ✗",
                     "emotions ✓" if status.emotion else "emotions ✗"]
        if analysis:
            parts.append(analysis)
        self.models.setText("Models: " + ", ".join(parts))
        if status is not None and status.problem:
            self.models.setToolTip(status.problem)

    def show_link(self, text: str, title: str, url: str) -> None:
        """A message with a link that stays until the next one (e.g. the playlist just saved)."""
        self.showMessage(f"{text} {url}", 20000)
        self.link.setText(f'<a href="{html.escape(url, quote=True)}">{html.escape(title)}</a>')
        self.link.setToolTip(url)
        self.link.setVisible(True)

    def set_network(self, text: str, online: bool) -> None:
        self.network.setText(("● " if online else "○ ") + text)
