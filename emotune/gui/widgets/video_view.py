"""The live picture: paints the newest captured frame on a ~30 fps timer, with a box, the emotion and its
confidence on each face.

Why a timer and a peek instead of a signal per frame: frames never queue up in the GUI thread, so the picture
stays current however fast the source is, and a slow paint only skips frames.

Why OpenCV scales the frame and Qt only copies it: QPainter's smooth scaling of a 640×480 BGR frame to the
view costs ~5 ms a frame (0.16 CPU-seconds a second at 30 fps, more than the face and emotion models);
OpenCV's SIMD resize into Qt's native 32-bit layout plus an unscaled draw costs ~2 ms for the same picture
(benchmarks/bench_live.py).
"""
from __future__ import annotations

import time
from collections import deque

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from emotune.core.types import FaceResult
from emotune.gui.style import EMOTION_COLORS, label
from emotune.gui.workers.frame_slot import LatestFrameSlot


def scaled_qimage(image_bgr: np.ndarray, width: int, height: int) -> tuple[QImage, np.ndarray]:
    """`image_bgr` (BGR or gray) resized to width×height as an RGB32 QImage, with the array that holds its
    pixels (the QImage borrows them: keep the array while the image is used). Bilinear, unless shrinking below
    half: area averaging costs ~6× as much (a 640×480 frame into the three-column window's 440 px: 4.9 against
    0.9 ms, 30 times a second) and only shows its worth where bilinear would skip whole pixels."""
    h, w = image_bgr.shape[:2]
    if (w, h) != (width, height):
        far = width * 2 < w or height * 2 < h
        image_bgr = cv2.resize(image_bgr, (width, height), interpolation=cv2.INTER_AREA if far else cv2.INTER_LINEAR)
    bgra = cv2.cvtColor(image_bgr, cv2.COLOR_GRAY2BGRA if image_bgr.ndim == 2 else cv2.COLOR_BGR2BGRA)
    # RGB32 is 0xffRRGGBB in native order: the bytes B, G, R, A on the little-endian machines we ship for
    return QImage(bgra.data, width, height, bgra.strides[0], QImage.Format.Format_RGB32), bgra


def to_qimage(image_bgr: np.ndarray) -> QImage:
    """A QImage that owns a copy of the pixels (the numpy buffer may be reused or freed)."""
    image = np.ascontiguousarray(image_bgr)
    if image.ndim == 2:
        h, w = image.shape
        return QImage(image.data, w, h, image.strides[0], QImage.Format.Format_Grayscale8).copy()
    h, w = image.shape[:2]
    return QImage(image.data, w, h, image.strides[0], QImage.Format.Format_BGR888).copy()


def label_chip(box: QRectF, width: float, height: float, picture: QRectF) -> QRectF:
    """Where a face's label goes: above its box, else below it, else inside its top edge; always wholly on the
    picture, so a face at the edge of the frame never has its label cut off."""
    if box.top() - height - 2 >= picture.top():
        top = box.top() - height - 2
    elif box.bottom() + 2 + height <= picture.bottom():
        top = box.bottom() + 2
    else:
        top = max(picture.top(), box.top()) + 2
    left = min(max(box.left(), picture.left()), picture.right() - width)
    return QRectF(max(left, picture.left()), min(top, picture.bottom() - height), width, height)


class VideoView(QWidget):
    """GUI thread only."""

    def __init__(self, slot: LatestFrameSlot, refresh_hz: float = 30.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._slot = slot
        self._seq = -1
        self._frame: np.ndarray | None = None        # the newest frame, as captured
        self._scaled: tuple[QImage, np.ndarray] | None = None   # it, scaled to the view (made when painted)
        self._faces: tuple[FaceResult, ...] = ()
        self._labels: list[tuple[str, int, int]] = []   # per face: its text and chip size, laid out once
        self._face_frame_size: tuple[int, int] = (0, 0)
        self._emotions = True
        self._label_font: QFont | None = None
        self._message = "Starting…"
        self._shown_at: deque[float] = deque(maxlen=90)
        self.frames_shown = 0
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName("Live camera view")
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._timer.start(max(1, round(1000 / refresh_hz)))

    # --- state set by the window ---------------------------------------------------------------------------
    def set_faces(self, faces: tuple[FaceResult, ...], frame_size: tuple[int, int], emotions: bool = True) -> None:
        """The boxes and labels to draw. While frames arrive they appear with the next frame (at most a tick
        away): a repaint of their own would paint the whole picture a fourth time more each second."""
        self._faces, self._face_frame_size, self._emotions = faces, frame_size, emotions
        metrics = QFontMetrics(self._font())
        self._labels = []
        for face in faces:
            text = f"{label(face.emotion)} {face.confidence:.0%}" if emotions else "Face"
            self._labels.append((text, metrics.horizontalAdvance(text) + 12, metrics.height() + 6))
        if not self._shown_at or time.monotonic() - self._shown_at[-1] > 0.1:
            self.update()

    def _font(self) -> QFont:
        """The labels' font (bold, a little larger than the widget's), made once per font change."""
        if self._label_font is None:
            font = QFont(self.font())
            font.setPointSizeF(max(9.0, font.pointSizeF() * 1.05))
            font.setBold(True)
            self._label_font = font
        return self._label_font

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.FontChange:
            self._label_font = None
        super().changeEvent(event)

    def set_message(self, text: str) -> None:
        """A line over the picture ("Looking for a face…"); empty to hide."""
        if text != self._message:
            self._message = text
            self.update()

    def message(self) -> str:
        return self._message

    def clear(self) -> None:
        self._frame, self._scaled, self._faces, self._labels = None, None, (), []
        self._shown_at.clear()
        self.update()

    def fps(self) -> float:
        """Frames shown per second over the last few seconds."""
        if len(self._shown_at) < 2:
            return 0.0
        span = self._shown_at[-1] - self._shown_at[0]
        if time.monotonic() - self._shown_at[-1] > 1.0:
            return 0.0
        return (len(self._shown_at) - 1) / span if span > 0 else 0.0

    def current_image(self) -> QImage | None:
        """The newest frame at its own size (a copy; for tests and screenshots)."""
        return None if self._frame is None else to_qimage(self._frame)

    # --- painting ------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        seq, item = self._slot.peek()
        if seq == self._seq:
            return
        self._seq = seq
        if item is None:
            return
        self._frame, self._scaled = item.frame.image, None
        self.frames_shown += 1
        self._shown_at.append(time.monotonic())
        self.update()

    def _target_rect(self) -> QRectF:
        """Where the frame goes: centred on whole pixels (so it is drawn unscaled), as large as fits but never
        larger than the camera made it. Enlarging adds no detail, only blur, and scaling 30 frames a second
        was half of what showing them cost (docs/gui.md)."""
        if self._frame is None or not self._frame.size:
            return QRectF(self.rect())
        ih, iw = self._frame.shape[:2]
        scale = min(self.width() / iw, self.height() / ih, 1.0)
        w, h = max(1, round(iw * scale)), max(1, round(ih * scale))
        return QRectF((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def _scaled_image(self, target: QRectF) -> QImage:
        size = (int(target.width()), int(target.height()))
        if self._scaled is None or (self._scaled[0].width(), self._scaled[0].height()) != size:
            self._scaled = scaled_qimage(self._frame, *size)
        return self._scaled[0]

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        target = self._target_rect()
        background = QColor(24, 24, 28)
        if self._frame is not None and self._frame.size:
            # only the margins need the background: the frame covers the rest (a whole fill costs 0.3 ms)
            w, h = self.width(), self.height()
            p.fillRect(QRectF(0, 0, w, target.top()), background)
            p.fillRect(QRectF(0, target.bottom(), w, h - target.bottom()), background)
            p.fillRect(QRectF(0, target.top(), target.left(), target.height()), background)
            p.fillRect(QRectF(target.right(), target.top(), w - target.right(), target.height()), background)
            p.drawImage(target.topLeft(), self._scaled_image(target))
            self._paint_faces(p, target)
        else:
            p.fillRect(self.rect(), background)
        if self._message:
            self._paint_message(p)
        p.end()

    def _paint_faces(self, p: QPainter, target: QRectF) -> None:
        fw, fh = self._face_frame_size
        if not fw or not fh:
            return
        sx, sy = target.width() / fw, target.height() / fh
        p.setFont(self._font())
        for i, (face, (text, tw, th)) in enumerate(zip(self._faces, self._labels)):
            color = EMOTION_COLORS[face.emotion] if self._emotions else QColor("#d0d0d0")
            box = QRectF(target.x() + face.box.x * sx, target.y() + face.box.y * sy, face.box.w * sx,
                         face.box.h * sy)
            main = i == 0 and len(self._faces) > 1   # the face the bars below show gets the heavier frame
            p.setPen(QPen(color, 5 if main else 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(box, 6, 6)
            chip = label_chip(box, tw, th, target)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            p.drawRoundedRect(chip, 4, 4)
            p.setPen(QColor("white"))
            p.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_message(self, p: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        p.setFont(font)
        metrics = p.fontMetrics()
        lines = self._message.split("\n")
        w = min(self.width() - 20, max(metrics.horizontalAdvance(s) for s in lines) + 32)
        h = metrics.height() * len(lines) + 20
        box = QRectF((self.width() - w) / 2, self.height() - h - 16, w, h) if self._frame is not None else \
            QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 170))
        p.drawRoundedRect(box, 8, 8)
        p.setPen(QColor("white"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
