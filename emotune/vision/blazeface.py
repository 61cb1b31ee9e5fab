"""BlazeFace short-range (Google MediaPipe, Apache-2.0) through ONNX Runtime: EmoTune's default face detector.

The network sees the frame shrunk into RGB in [-1, 1] (trained at 128×128; see BlazeFaceDetector for why we
feed 176×144) and scores fixed anchors (2 per cell of the stride-8 grid, 6 per cell of the stride-16 grid:
896 at 128×128). Each anchor regresses a box and six
keypoints (the eyes, nose tip, mouth, ear tragions) relative to its centre; we decode them, keep scores above
`min_score`, and merge overlapping boxes with MediaPipe's weighted non-maximum suppression (boxes that overlap
the best one are averaged, weighted by score, which steadies the box from frame to frame).

The model file is models/face_detection_short_range.onnx (scripts/convert_blazeface.py made it). One 640×480
frame costs a few milliseconds on one core. Boxes are returned in the framing the emotion model was trained on (see
`BOX_SCALE`), with the eye line's roll so the crop can be levelled.
"""
from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from emotune.core.types import Box
from emotune.onnx_session import open_session
from emotune.resources import model_path
from emotune.vision.detection import DetectorUnavailable

log = logging.getLogger(__name__)

MODEL_NAME = "face_detection_short_range.onnx"
INPUT_SIDE = 176  # the longer side of the network's input (the model was trained at 128×128; see the class)
STRIDES_ANCHORS = ((8, 2), (16, 6))  # (stride, anchors per cell): MediaPipe's SSD anchors for this model
# BlazeFace's box runs from the brows to the chin and is narrower than a FER2013 picture's framing. These
# turn it into the square the emotion model expects (its crop adds the card's margin on top): a box
# `BOX_SCALE` times the detector's side, its centre moved down by `BOX_SHIFT_Y` of that side (negative: up).
# Fitted on FER2013 faces pasted into frames, where the true framing is known (benchmarks/bench_detector.py).
BOX_SCALE = 1.142
BOX_SHIFT_Y = -0.078


def anchors(height: int, width: int) -> np.ndarray:
    """Anchor centres (n, 2) in input pixels for a height×width input, in the order the model emits them."""
    out = []
    for stride, per_cell in STRIDES_ANCHORS:
        ys, xs = np.meshgrid((np.arange(height // stride) + 0.5) * stride, (np.arange(width // stride) + 0.5) * stride,
                             indexing="ij")
        out.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1), per_cell, axis=0))
    return np.concatenate(out).astype(np.float32)


def shrink(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """`image` resized to width×height by area averaging (no aliasing), cheaply: OpenCV's area resize costs
    ~1.9 ms for a 640×480 frame at a non-integer ratio but ~0.1 ms at exactly 2×, so halve by the largest power
    of two that fits first (dropping at most factor-1 edge pixels), then average the rest (~0.7 ms in all)."""
    h, w = image.shape[:2]
    k = 1 << (min(w // width, h // height).bit_length() - 1) if w >= width and h >= height else 1
    if k >= 2:  # a power of two: OpenCV's fastest area path
        image = cv2.resize(image[: h - h % k, : w - w % k], ((w - w % k) // k, (h - h % k) // k),
                           interpolation=cv2.INTER_AREA)
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def frame_box(raw: tuple[float, float, float, float], roll: float, box_scale: float = BOX_SCALE,
              box_shift_y: float = BOX_SHIFT_Y) -> Box:
    """The emotion model's square for a raw BlazeFace box (x0, y0, x1, y1): `box_scale` times its longer
    side, centre moved down by `box_shift_y` of that side, with the eye line's roll."""
    x0, y0, x1, y1 = raw
    side = max(x1 - x0, y1 - y0) * box_scale
    ccx, ccy = (x0 + x1) / 2, (y0 + y1) / 2 + box_shift_y * side
    return Box(int(round(ccx - side / 2)), int(round(ccy - side / 2)), int(round(side)), int(round(side)),
               round(roll, 1))


@dataclass(frozen=True)
class FaceDetection:
    """One face: its box in frame pixels (emotion-model framing, with the eye line's roll), score, eye centres."""

    box: Box
    score: float
    right_eye: tuple[float, float]   # the person's right eye (on the image's left for a frontal face)
    left_eye: tuple[float, float]
    raw: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # the network's own box x0, y0, x1, y1


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, points: np.ndarray, iou_threshold: float
                 ) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """MediaPipe's weighted NMS: best box first; every box overlapping it by more than `iou_threshold` is
    merged into it (coordinates averaged by score) and removed. boxes (n, 4) as x0, y0, x1, y1."""
    order = np.argsort(-scores)
    boxes, scores, points = boxes[order], scores[order], points[order]
    areas = np.maximum(0, boxes[:, 2] - boxes[:, 0]) * np.maximum(0, boxes[:, 3] - boxes[:, 1])
    alive = np.ones(len(boxes), bool)
    kept = []
    for i in range(len(boxes)):
        if not alive[i]:
            continue
        x0 = np.maximum(boxes[i, 0], boxes[:, 0])
        y0 = np.maximum(boxes[i, 1], boxes[:, 1])
        x1 = np.minimum(boxes[i, 2], boxes[:, 2])
        y1 = np.minimum(boxes[i, 3], boxes[:, 3])
        inter = np.maximum(0, x1 - x0) * np.maximum(0, y1 - y0)
        iou = inter / np.maximum(areas[i] + areas - inter, 1e-9)
        group = alive & (iou > iou_threshold)
        group[i] = True
        w = scores[group][:, None]
        kept.append(((boxes[group] * w).sum(0) / w.sum(), float(scores[i]), (points[group] * w).sum(0) / w.sum()))
        alive &= ~group
    return kept


class BlazeFaceDetector:
    """The default detector. `load()` opens the ONNX model (DetectorUnavailable when it is missing or broken);
    `detect` returns boxes largest first, `detect_faces` the same with scores and eye keypoints.

    The network is convolutional, and our export takes any input that is a multiple of 16 pixels: the frame is
    shrunk so its longer side is `input_side` and padded to the next multiple of 16, so a 640×480 frame is seen
    at 176×144 instead of letterboxed into 128×128 (a face 100 px wide is then 27 px, which the model mostly
    finds, not 20 px, which it mostly misses; benchmarks/bench_detector.py). `min_score` 0.6 rather than
    MediaPipe's 0.5: at this scale 0.5 puts boxes on busy backgrounds. `min_face_frac` drops faces smaller
    than that share of the frame's shorter side, as the Haar detector does. One ONNX Runtime thread: the
    app's CPU budget matters more than latency.
    """

    name = "BlazeFace short-range (ONNX)"

    def __init__(self, path: str | Path | None = None, min_score: float = 0.6, iou_threshold: float = 0.3,
                 min_face_frac: float = 0.08, input_side: int = INPUT_SIDE, threads: int = 1,
                 box_scale: float = BOX_SCALE, box_shift_y: float = BOX_SHIFT_Y) -> None:
        self.path = Path(path) if path else model_path(MODEL_NAME)
        self.min_score, self.iou_threshold = min_score, iou_threshold
        self.min_face_frac, self.input_side, self.threads = min_face_frac, input_side, threads
        self.box_scale, self.box_shift_y = box_scale, box_shift_y
        self._session = None
        self._input = ""
        self._square = False  # True for an export with a fixed 128×128 input (then letterboxed, as MediaPipe does)
        self._anchors: dict[tuple[int, int], np.ndarray] = {}
        self._logit_min = float(-np.log(1.0 / min_score - 1.0))
        self._lock = threading.Lock()

    def load(self) -> None:
        """Opens the model now (call it from a worker to keep the first frame fast)."""
        with self._lock:
            if self._session is not None:
                return
            if not self.path.is_file():
                raise DetectorUnavailable(f"The face detector model {self.path} is missing. Reinstall EmoTune "
                                          f"(models/{MODEL_NAME} ships with it).")
            try:
                session = open_session(self.path, self.threads)
                inp = session.get_inputs()[0]
                outs = [o.name for o in session.get_outputs()]
                if len(inp.shape) != 4 or inp.shape[3] != 3 or outs != ["regressors", "classificators"]:
                    raise ValueError(f"input {inp.shape}, outputs {outs}")
                fixed = [d for d in inp.shape[1:3] if isinstance(d, int)]
                if fixed:  # an export with a fixed input (e.g. tf2onnx's own): use that size
                    self.input_side = max(fixed)
            except Exception as exc:  # onnxruntime raises its own types for truncated or foreign files
                raise DetectorUnavailable(
                    f"Cannot load the face detector model {self.path} ({type(exc).__name__}: {str(exc)[:200]}). "
                    f"Reinstall EmoTune (models/{MODEL_NAME}).") from exc
            self._session, self._input = session, inp.name
            self._square = bool(fixed)

    def detect(self, image_bgr: np.ndarray) -> list[Box]:
        return [d.box for d in self.detect_faces(image_bgr)]

    def _input_shape(self, w: int, h: int) -> tuple[int, int, float]:
        """(input height, input width, scale) for a w×h frame: longer side `input_side`, both multiples of 16."""
        scale = self.input_side / max(w, h)
        if self._square:
            return self.input_side, self.input_side, scale
        return -(-round(h * scale) // 16) * 16, -(-round(w * scale) // 16) * 16, scale

    def detect_faces(self, image_bgr: np.ndarray) -> list[FaceDetection]:
        """Faces with scores and eye keypoints, largest box first."""
        self.load()
        h, w = image_bgr.shape[:2]
        if not h or not w:
            return []
        ih, iw, scale = self._input_shape(w, h)
        sw, sh = max(1, min(iw, round(w * scale))), max(1, min(ih, round(h * scale)))
        small = shrink(image_bgr, sw, sh)
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        px, py = (iw - sw) // 2, (ih - sh) // 2
        canvas = np.zeros((ih, iw, 3), np.uint8)
        canvas[py:py + sh, px:px + sw] = small[:, :, 2::-1]  # BGR -> RGB
        x = canvas.astype(np.float32)[None] * (2.0 / 255.0) - 1.0
        reg, cls = self._session.run(None, {self._input: x})
        logits = cls[0, :, 0]
        hit = np.flatnonzero(logits > self._logit_min)
        if not len(hit):
            return []
        if (ih, iw) not in self._anchors:
            self._anchors[(ih, iw)] = anchors(ih, iw)
        # regressions are in input pixels, relative to the anchor centre (MediaPipe's x/y/w/h_scale = 128)
        r, a = reg[0, hit], self._anchors[(ih, iw)][hit]
        cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
        boxes = np.stack([cx - r[:, 2] / 2, cy - r[:, 3] / 2, cx + r[:, 2] / 2, cy + r[:, 3] / 2], axis=1)
        eyes = r[:, 4:8] + np.tile(a, 2)  # right eye x, y, left eye x, y
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits[hit], -100, 100)))
        offset = np.array([px, py] * 2, np.float32)
        min_side = self.min_face_frac * min(w, h)
        faces = []
        for box, score, pts in weighted_nms(boxes, scores, eyes, self.iou_threshold):
            x0, y0, x1, y1 = (box - offset) / scale
            e = (pts - offset) / scale
            roll = math.degrees(math.atan2(e[3] - e[1], e[2] - e[0]))
            b = frame_box((x0, y0, x1, y1), roll, self.box_scale, self.box_shift_y)
            if b.w < min_side:
                continue
            faces.append(FaceDetection(b, score, (float(e[0]), float(e[1])), (float(e[2]), float(e[3])),
                                       (float(x0), float(y0), float(x1), float(y1))))
        return sorted(faces, key=lambda f: f.box.area, reverse=True)
