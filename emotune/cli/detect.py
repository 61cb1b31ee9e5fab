"""`emotune detect`: faces and their emotions in images, folders of images and videos.

The model loads once; with --no-detect whole images are classified in batches, so thousands of images
in one call stay fast.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from emotune.capture.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES

BATCH = 64


@dataclass(frozen=True)
class Item:
    """One image or one sampled video frame to classify (image None when it could not be read)."""

    path: str
    frame: int | None
    image: np.ndarray | None
    error: str | None = None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="find faces and their emotions in images and videos",
                       description="Find faces and classify their emotion in images, folders of images and videos.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="image, folder of images, or video file")
    p.add_argument("--json", action="store_true", help="one JSON object per line per image or video frame")
    p.add_argument("--no-detect", action="store_true", help="treat each whole image as one face crop")
    p.add_argument("--video-step", type=float, default=1.0, metavar="SECONDS",
                   help="sample one video frame every SECONDS (default 1)")
    p.add_argument("--model", type=Path, help="emotion model (.onnx, or .keras with `emotune[train]`) instead of "
                                              "the shipped one")
    p.add_argument("--haar", action="store_true", help="use OpenCV's Haar cascade instead of BlazeFace")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emotune.inference import ModelUnavailable
    from emotune.inference.onnx_classifier import OnnxEmotionClassifier
    from emotune.vision.detection import DetectorUnavailable, HaarFaceDetector
    from emotune.vision.factory import default_detector

    if args.model is not None and args.model.suffix == ".keras":
        from emotune.inference.keras_classifier import KerasEmotionClassifier

        classifier = KerasEmotionClassifier(args.model)
    else:
        classifier = OnnxEmotionClassifier(args.model)
    detector = None
    try:
        classifier.load()
        if not args.no_detect:
            detector = HaarFaceDetector() if args.haar else default_detector()
            detector.load()
    except (ModelUnavailable, DetectorUnavailable) as exc:
        print(f"emotune detect: {exc}", file=sys.stderr)
        return 2

    failed = 0
    out = _JsonWriter() if args.json else _TableWriter()
    batch: list[Item] = []
    for item in _items(args.paths, args.video_step):
        batch.append(item)
        if len(batch) >= BATCH:
            failed += _flush(batch, classifier, detector, out)
            batch = []
    failed += _flush(batch, classifier, detector, out)
    return 1 if failed else 0


def _flush(batch: list[Item], classifier, detector, out) -> int:
    """Classifies a batch and writes its lines; returns how many items failed."""
    if not batch:
        return 0
    readable = [it for it in batch if it.image is not None]
    faces_of: dict[int, list[dict]] = {}
    if detector is None:
        scores = classifier.classify_crops([it.image for it in readable]) if readable else []
        for it, s in zip(readable, scores):
            h, w = it.image.shape[:2]
            faces_of[id(it)] = [_face([0, 0, w, h], s)]
    else:
        for it in readable:   # read_image hands over 3-channel 8-bit images only, whatever the file held
            boxes = detector.detect(it.image)
            scores = classifier.classify(it.image, boxes) if boxes else []
            faces_of[id(it)] = [_face(b.as_list(), s) for b, s in zip(boxes, scores)]
    failed = 0
    for it in batch:
        if it.error:
            failed += 1
            print(f"emotune detect: {it.path}: {it.error}", file=sys.stderr)
        out.write(it, faces_of.get(id(it), []))
    return failed


def _face(box: list[int], scores: np.ndarray) -> dict:
    from emotune.core.emotions import EMOTIONS, to_mapping

    return {"box": box, "emotion": EMOTIONS[int(np.argmax(scores))], "scores": to_mapping(scores)}


def _items(paths: list[str], video_step: float) -> Iterator[Item]:
    """Every image and sampled video frame under `paths`, in order; unreadable ones carry an error."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES)
            if not files:
                yield Item(str(path), None, None, "no images or videos in this folder")
            for f in files:
                yield from _file_items(f, video_step)
        else:
            yield from _file_items(path, video_step)


def _file_items(path: Path, video_step: float) -> Iterator[Item]:
    from emotune.capture.errors import CaptureError
    from emotune.capture.sources import VideoFileSource, read_image

    if not path.exists():
        yield Item(str(path), None, None, "file not found")
        return
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        try:
            yield Item(str(path), None, read_image(path))
        except CaptureError as exc:
            yield Item(str(path), None, None, exc.message)
        return
    source = VideoFileSource(path)
    try:
        source.open()
    except CaptureError as exc:
        yield Item(str(path), None, None, exc.message)
        return
    try:
        step = max(1, round(video_step * source.fps))
        while (frame := source.read()) is not None:
            if frame.index % step == 0:
                yield Item(str(path), frame.index, frame.image)
    finally:
        source.close()


class _JsonWriter:
    def write(self, item: Item, faces: list[dict]) -> None:
        faces = sorted(faces, key=lambda f: f["box"][2] * f["box"][3], reverse=True)
        line = {"path": item.path, "frame": item.frame, "faces": faces, "error": item.error}
        sys.stdout.write(json.dumps(line) + "\n")


class _TableWriter:
    def __init__(self) -> None:
        print(f"{'path':40} {'frame':>5}  {'face box':22} {'emotion':9} {'conf':>5}  runner-up")

    def write(self, item: Item, faces: list[dict]) -> None:
        frame = "" if item.frame is None else str(item.frame)
        name = item.path if len(item.path) <= 40 else "…" + item.path[-39:]
        if item.error:
            print(f"{name:40} {frame:>5}  error: {item.error}")
        elif not faces:
            print(f"{name:40} {frame:>5}  no face found")
        for face in faces:
            ranked = sorted(face["scores"].items(), key=lambda kv: kv[1], reverse=True)
            box = ",".join(map(str, face["box"]))
            print(f"{name:40} {frame:>5}  {box:22} {ranked[0][0]:9} {ranked[0][1]:5.2f}  "
                  f"{ranked[1][0]} {ranked[1][1]:.2f}")
