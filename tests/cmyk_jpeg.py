"""Writes real 4-channel JPEGs (CMYK, and YCCK as Photoshop saves it) for the tests.

OpenCV cannot write one and Pillow is not a dependency, so this is a small baseline JPEG encoder in numpy: four
components, no subsampling, one quantisation table, and fixed-length Huffman codes (every symbol 8 bits for AC, 4
for DC: valid JPEG, just not the smallest). An Adobe APP14 marker says which kind it is, with the inverted
channels Adobe writes, which is what decoders (libjpeg inside OpenCV) expect of a CMYK JPEG.
"""
from __future__ import annotations

import struct

import numpy as np

_ZIGZAG = np.array(sorted(((u, v) for u in range(8) for v in range(8)),
                          key=lambda p: (p[0] + p[1], p[1] if (p[0] + p[1]) % 2 == 0 else p[0])))
_ZIGZAG_INDEX = _ZIGZAG[:, 0] * 8 + _ZIGZAG[:, 1]
_DCT = np.array([[np.sqrt((1 if u == 0 else 2) / 8) * np.cos((2 * x + 1) * u * np.pi / 16) for x in range(8)]
                 for u in range(8)])
_AC_SYMBOLS = [0x00, 0xF0] + [(run << 4) | size for run in range(16) for size in range(1, 11)]


def bgr_to_cmyk(bgr: np.ndarray) -> np.ndarray:
    """Plain CMYK (0 = no ink) of a BGR uint8 image."""
    rgb = bgr[..., ::-1].astype(np.float64) / 255.0
    k = 1.0 - rgb.max(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cmy = np.where(k[..., None] < 1.0, (1.0 - rgb - k[..., None]) / (1.0 - k[..., None]), 0.0)
    return np.round(np.dstack([cmy, k]) * 255).astype(np.uint8)


def encode_cmyk_jpeg(cmyk: np.ndarray, quality: int = 90, ycck: bool = False) -> bytes:
    """A baseline JPEG of an H x W x 4 uint8 CMYK image (0 = no ink). `ycck` stores it as Photoshop does for a
    colour-transformed CMYK file (Adobe transform 2): C, M, Y as YCbCr, and the inverted K."""
    if cmyk.dtype != np.uint8 or cmyk.ndim != 3 or cmyk.shape[2] != 4 or cmyk.size == 0:
        raise ValueError("expects an H x W x 4 uint8 image")
    stored = 255.0 - cmyk.astype(np.float64)           # Adobe writes inverted CMYK
    if ycck:   # as libjpeg's cmyk_ycck_convert: YCbCr of R = 255 - (inverted C) = C, …; K stays inverted
        r, g, b = (cmyk[..., i].astype(np.float64) for i in range(3))
        y = 0.299 * r + 0.587 * g + 0.114 * b
        stored[..., 0] = y
        stored[..., 1] = (b - y) / 1.772 + 128
        stored[..., 2] = (r - y) / 1.402 + 128
        stored = np.clip(np.round(stored), 0, 255)
    height, width = cmyk.shape[:2]
    table = _quant_table(quality)
    out = bytearray(b"\xff\xd8")
    out += b"\xff\xee" + struct.pack(">H5sHHHB", 14, b"Adobe", 100, 0, 0, 2 if ycck else 0)
    out += b"\xff\xdb" + struct.pack(">HB", 67, 0) + bytes(int(q) for q in table.flatten()[_ZIGZAG_INDEX])
    out += b"\xff\xc0" + struct.pack(">HBHHB", 8 + 3 * 4, 8, height, width, 4)
    out += b"".join(struct.pack(">BBB", c + 1, 0x11, 0) for c in range(4))
    dc_bits, ac_bits = [0] * 16, [0] * 16
    dc_bits[3], ac_bits[7] = 12, len(_AC_SYMBOLS)        # every DC symbol 4 bits long, every AC symbol 8
    out += b"\xff\xc4" + struct.pack(">HB", 2 + 17 + 12, 0x00) + bytes(dc_bits) + bytes(range(12))
    out += b"\xff\xc4" + struct.pack(">HB", 2 + 17 + len(_AC_SYMBOLS), 0x10) + bytes(ac_bits) + bytes(_AC_SYMBOLS)
    out += b"\xff\xda" + struct.pack(">HB", 6 + 2 * 4, 4) + b"".join(struct.pack(">BB", c + 1, 0x00)
                                                                     for c in range(4)) + b"\x00\x3f\x00"
    out += _scan(_coefficients(stored, table))
    return bytes(out + b"\xff\xd9")


def _quant_table(quality: int) -> np.ndarray:
    base = np.array([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                     14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
                     92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]).reshape(8, 8)
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip((base * scale + 50) // 100, 1, 255)


def _coefficients(stored: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Quantised DCT coefficients in zigzag order: (blocks in raster order, 4 components, 64)."""
    h, w = stored.shape[:2]
    padded = np.pad(stored, ((0, -h % 8), (0, -w % 8), (0, 0)), mode="edge") - 128.0
    rows, cols = padded.shape[0] // 8, padded.shape[1] // 8
    blocks = padded.reshape(rows, 8, cols, 8, 4).transpose(0, 2, 4, 1, 3).reshape(rows * cols, 4, 8, 8)
    dct = _DCT @ blocks @ _DCT.T
    return np.round(dct / table).astype(np.int64).reshape(rows * cols, 4, 64)[:, :, _ZIGZAG_INDEX]


def _category(value: int) -> tuple[int, int]:
    """JPEG's (size, bits) of a coefficient: negative values are stored as value - 1 in `size` bits."""
    size = int(abs(value)).bit_length()
    return size, (value if value >= 0 else value + (1 << size) - 1)


def _scan(coefficients: np.ndarray) -> bytes:
    bits: list[str] = []
    previous = [0, 0, 0, 0]
    ac_code = {symbol: i for i, symbol in enumerate(_AC_SYMBOLS)}
    for block in coefficients:
        for c in range(4):
            zz = block[c]
            size, value = _category(int(zz[0]) - previous[c])
            previous[c] = int(zz[0])
            bits.append(format(size, "04b") + (format(value, f"0{size}b") if size else ""))
            run = 0
            nonzero = np.flatnonzero(zz[1:]) + 1
            last = nonzero[-1] if nonzero.size else 0
            for k in range(1, last + 1):
                if zz[k] == 0:
                    run += 1
                    continue
                while run > 15:
                    bits.append(format(ac_code[0xF0], "08b"))
                    run -= 16
                size, value = _category(int(zz[k]))
                bits.append(format(ac_code[(run << 4) | size], "08b") + format(value, f"0{size}b"))
                run = 0
            if last < 63:
                bits.append(format(ac_code[0x00], "08b"))
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    data = int(stream, 2).to_bytes(len(stream) // 8, "big") if stream else b""
    return data.replace(b"\xff", b"\xff\x00")
