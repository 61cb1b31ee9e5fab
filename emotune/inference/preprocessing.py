"""The one face-preprocessing path shared by training and inference, so the two cannot drift.

A face reaches the model as: the detector's box grown by `margin` on every side (pixels beyond the frame are
replicated from the edge so the crop keeps its aspect), converted to gray with OpenCV's BGR weights,
resized to the model's square input, and kept as uint8 0–255 in shape (size, size, 1). Scaling to 0–1
happens inside the model (a Rescaling layer), so no caller can apply it twice or forget it.
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from emotune.core.types import Box

DEFAULT_INPUT_SIZE = 48
# Grow the detector's box by this fraction of its size on each side. OpenCV's Haar box runs from the
# brows to the chin; FER2013's registration shows a little more forehead and jaw. Training augments the
# scale ±20% around this, so a slightly different detector still lands inside what the model has seen.
DEFAULT_MARGIN = 0.05


def to_gray(image: np.ndarray) -> np.ndarray:
    """Gray uint8 from a gray, BGR or BGRA image (OpenCV's channel order, as every frame in EmoTune is)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        gray = image
    elif image.ndim == 3 and image.shape[2] == 3:
        gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 4:
        gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGRA2GRAY)
    else:
        raise ValueError(f"expected a gray, BGR or BGRA image, got shape {image.shape}")
    if gray.dtype != np.uint8:
        if np.issubdtype(gray.dtype, np.floating) and gray.size and float(gray.max()) <= 1.0:
            gray = gray * 255.0  # a 0–1 float image
        gray = np.clip(gray, 0, 255).astype(np.uint8)
    return gray


def crop_with_margin(image: np.ndarray, box: Box, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """The box grown by `margin`×size on each side; parts outside the image repeat its edge pixels."""
    h, w = image.shape[:2]
    dx, dy = int(round(box.w * margin)), int(round(box.h * margin))
    x0, y0 = box.x - dx, box.y - dy
    x1, y1 = box.x + box.w + dx, box.y + box.h + dy
    if x1 <= 0 or y1 <= 0 or x0 >= w or y0 >= h or box.w <= 0 or box.h <= 0:
        raise ValueError(f"face box {box.as_list()} lies outside the {w}×{h} image")
    pad = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
    crop = image[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
    if any(pad):
        crop = cv2.copyMakeBorder(crop, *pad, borderType=cv2.BORDER_REPLICATE)
    return crop


def crop_levelled(image: np.ndarray, box: Box, margin: float, roll_deg: float) -> np.ndarray:
    """Like `crop_with_margin`, but the frame is first turned by `roll_deg` about the box centre, so a face whose
    eye line is tilted by that angle comes out level (edge pixels replicated where the turn reaches past it)."""
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    w, h = int(round(box.w * (1 + 2 * margin))), int(round(box.h * (1 + 2 * margin)))
    m = cv2.getRotationMatrix2D((cx, cy), roll_deg, 1.0)
    m[:, 2] += (w / 2 - cx, h / 2 - cy)
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def resize_square(gray: np.ndarray, size: int) -> np.ndarray:
    """Resize to size×size: area averaging when shrinking (no aliasing), bilinear when enlarging."""
    if gray.shape[0] == size and gray.shape[1] == size:
        return gray
    shrinking = gray.shape[0] > size or gray.shape[1] > size
    return cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def prepare_face(image: np.ndarray, box: Box | None = None, size: int = DEFAULT_INPUT_SIZE,
                 margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """One model input, (size, size, 1) uint8 0–255, from a frame and a face box (or a whole face image
    when `box` is None: FER2013 pictures, `emotune detect --no-detect`); a box's `roll` levels a tilted face."""
    gray = to_gray(image)
    if box is not None and box.roll:
        gray = crop_levelled(gray, box, margin, box.roll)
    elif box is not None:
        gray = crop_with_margin(gray, box, margin)
    return resize_square(gray, size)[:, :, None]


def prepare_faces(image: np.ndarray, boxes: Sequence[Box], size: int = DEFAULT_INPUT_SIZE,
                  margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """A batch (n, size, size, 1) uint8 for the faces at `boxes` in one frame (gray conversion done once)."""
    gray = to_gray(image)
    out = np.empty((len(boxes), size, size, 1), np.uint8)
    for i, box in enumerate(boxes):
        out[i] = prepare_face(gray, box, size, margin)
    return out


def prepare_crops(crops: Sequence[np.ndarray], size: int = DEFAULT_INPUT_SIZE) -> np.ndarray:
    """A batch (n, size, size, 1) uint8 from images that are each one face."""
    out = np.empty((len(crops), size, size, 1), np.uint8)
    for i, crop in enumerate(crops):
        out[i] = prepare_face(crop, None, size)
    return out
