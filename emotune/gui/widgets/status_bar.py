"""The status bar: the last message (elided with the full text as tooltip, never cut silently), the capture
light, whether the models are ready, online/offline, the last saved playlist and the model-loading progress.
Figures for the curious (frames a second, time per face, frames skipped) live in the capture light's tooltip,
not in the bar: a user reads words there."""
from __future__ import annotations

import html

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from emotune.gui.widgets.elided_label import ElidedLabel
from emotune.gui.workers.inference_worker import ModelStatus

CAPTURE_TIP = "Whether EmoTune is reading the camera or file right now"


class StatusBar(QStatusBar):
    """GUI thread. `showMessage` shows a message in the stretching left part; the fixed items keep to the right
    and elide too, so a message is never squeezed out by them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.message = ElidedLabel(min_chars=12)
        self.message.setAccessibleDescription("Status message")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)
        self.camera = ElidedLabel("○ Capture off")
        self.camera.set_explanation(CAPTURE_TIP)
        self.models = ElidedLabel("Loading models…")
        self.network = ElidedLabel("Offline")
        self.link = QLabel()          # the last saved playlist, clickable
        self.link.setOpenExternalLinks(True)
        self.link.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Model loading progress")
        self.addWidget(self.message, 1)
        for widget, most in ((self.progress, 160), (self.camera, 220), (self.models, 200), (self.link, 220),
                             (self.network, 300)):
            widget.setMaximumWidth(most)
            self.addPermanentWidget(widget)

    # --- the message ------------------------------------------------------------------------------------------
    @Slot(str, int)
    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 - Qt API
        self.message.setText(text)
        if timeout > 0:
            self._timer.start(timeout)
        else:
            self._timer.stop()
        self.messageChanged.emit(text)

    @Slot()
    def clearMessage(self) -> None:  # noqa: N802 - Qt API
        self._timer.stop()
        if self.message.text():
            self.message.setText("")
            self.messageChanged.emit("")

    def currentMessage(self) -> str:  # noqa: N802 - Qt API
        return self.message.text()

    # --- the fixed items ----------------------------------------------------------------------------------------
    def set_capturing(self, on: bool, description: str = "") -> None:
        self.camera.setText(f"● {description or 'Capture'} on" if on else "○ Capture off")
        self.camera.setStyleSheet("color: #c9372c; font-weight: bold;" if on else "")

    def set_rates(self, fps: float, ms_per_face: float | None, dropped: int) -> None:
        """The figures, for whoever hovers over the capture light (they mean nothing for a still photo)."""
        parts = [f"Showing {fps:.0f} pictures a second."] if fps else []
        if ms_per_face:
            parts.append(f"Reading the emotion of one face takes {ms_per_face:.1f} ms.")
        if dropped:
            parts.append(f"{dropped} pictures were shown without being analysed while the analysis was busy; "
                         "the picture never lags for it.")
        self.camera.set_explanation("\n".join([CAPTURE_TIP, *parts]))

    def set_model_progress(self, message: str, percent: int) -> None:
        self.progress.setVisible(percent < 100)
        self.progress.setValue(percent)
        if percent < 100:
            self.showMessage(message)
        else:
            self.clearMessage()

    def set_models(self, status: ModelStatus | None, analysis: str = "") -> None:
        """A word in the bar ("Ready", or what is missing); the files behind it in the tooltip."""
        if status is None:
            text = "Loading models…"
        elif not status.detector:
            text = "Face finder missing"
        elif not status.emotion:
            text = "Emotion model missing"
        else:
            text = "Models ready"
        self.models.setText(text)
        lines = ["Face finder: " + ("loaded" if status and status.detector else "not loaded"),
                 "Emotion model: " + ("loaded" if status and status.emotion else "not loaded")]
        if analysis:
            lines.append(f"Analysis: {analysis}")
        if status is not None and status.problem:
            lines.append(status.problem)
        self.models.set_explanation("\n".join(lines))

    def show_link(self, text: str, title: str, url: str) -> None:
        """A message with a link that stays until the next one (e.g. the playlist just saved)."""
        self.showMessage(f"{text} {url}", 20000)
        self.link.setText(f'<a href="{html.escape(url, quote=True)}">{html.escape(title)}</a>')
        self.link.setToolTip(url)
        self.link.setAccessibleName(f"Open the playlist {title}")
        self.link.setVisible(True)

    def set_network(self, text: str, online: bool) -> None:
        self.network.setText(("● " if online else "○ ") + text)
