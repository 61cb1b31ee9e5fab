"""Draws EmoTune's icon with QPainter and writes assets/emotune.png (256 px) and assets/emotune.ico.

The icon is a smiling face whose eyes are two beamed eighth notes: mood and music in one shape that still
reads at 16 px. Re-run after changing the drawing: `.venv/bin/python packaging/make_icon.py`.
The .ico holds PNG-compressed images of 16-256 px (valid since Windows Vista), written by hand so no
image-format plugin is needed.
"""
from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def draw(size: int):  # -> QImage
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QImage, QLinearGradient, QPainter, QPainterPath, QPen, QTransform

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 256, size / 256)

    # Tile: violet to coral, with a soft light from the top.
    tile = QRectF(8, 8, 240, 240)
    gradient = QLinearGradient(tile.topLeft(), tile.bottomRight())
    gradient.setColorAt(0.0, QColor("#5b3de0"))
    gradient.setColorAt(0.55, QColor("#b03fc4"))
    gradient.setColorAt(1.0, QColor("#ff6f7d"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(gradient))
    p.drawRoundedRect(tile, 54, 54)
    shine = QLinearGradient(QPointF(0, 8), QPointF(0, 130))
    shine.setColorAt(0.0, QColor(255, 255, 255, 70))
    shine.setColorAt(1.0, QColor(255, 255, 255, 0))
    p.setBrush(QBrush(shine))
    p.drawRoundedRect(tile, 54, 54)

    white = QColor("#ffffff")
    # Eyes: two eighth notes joined by a beam.
    heads = (QPointF(84, 128), QPointF(164, 120))
    for head in heads:
        p.save()
        p.setTransform(QTransform().translate(head.x(), head.y()).rotate(-22), combine=True)
        p.setBrush(white)
        p.drawEllipse(QRectF(-24, -17, 48, 34))
        p.restore()
    stem_w = 11
    stems = [(h.x() + 17, h.y() - 8) for h in heads]  # right edge of each note head
    tops = [(x, y - 74) for x, y in stems]
    for (x, y), (_, top) in zip(stems, tops):
        p.fillRect(QRectF(x - stem_w / 2, top, stem_w, y - top), white)
    beam = QPainterPath()
    (x1, t1), (x2, t2) = tops
    beam.moveTo(x1 - stem_w / 2, t1)
    beam.lineTo(x2 + stem_w / 2, t2)
    beam.lineTo(x2 + stem_w / 2, t2 + 20)
    beam.lineTo(x1 - stem_w / 2, t1 + 20)
    beam.closeSubpath()
    p.fillPath(beam, white)

    # Smile.
    pen = QPen(white, 17, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    smile = QPainterPath(QPointF(70, 170))
    smile.cubicTo(QPointF(100, 214), QPointF(160, 214), QPointF(190, 166))
    p.drawPath(smile)
    p.end()
    return image


def png_bytes(image) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError("Qt could not encode the icon as PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO container of PNG images (ICONDIR + ICONDIRENTRY per size, then the PNG data)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, data in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs one
    pngs = {size: png_bytes(draw(size)) for size in ICO_SIZES}
    (ROOT / "assets" / "emotune.png").write_bytes(pngs[256])
    (ROOT / "assets" / "emotune.ico").write_bytes(ico_bytes(pngs))
    print("wrote assets/emotune.png and assets/emotune.ico")
    return 0


if __name__ == "__main__":
    sys.exit(main())
