"""Ties detection, classification and smoothing together for one stream of frames.

Detection runs every `detect_every` frames and classification every `classify_every` frames; in between,
the last boxes and scores are carried forward (matched by face track), so the view stays annotated while
the CPU does a fraction of the work.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from emotune.core.mood import MoodSmoother
from emotune.core.frame_result import FrameResult, StageTimings
from emotune.core.types import Box, FaceResult, Frame
from emotune.inference.classifier import EmotionClassifier
from emotune.vision.detection import FaceDetector


@dataclass
class ProcessorConfig:
    detect_every: int = 1
    classify_every: int = 3
    max_faces: int = 4


@dataclass
class FrameProcessor:
    """Not thread-safe: one processor belongs to one worker thread."""

    detector: FaceDetector
    classifier: EmotionClassifier
    smoother: MoodSmoother = field(default_factory=MoodSmoother)
    config: ProcessorConfig = field(default_factory=ProcessorConfig)
    _frames_seen: int = 0
    _boxes: list[Box] = field(default_factory=list)
    _last_faces: list[FaceResult] = field(default_factory=list)

    def process(self, frame: Frame) -> FrameResult:
        n = self._frames_seen
        self._frames_seen += 1
        detect_ms = classify_ms = 0.0
        if n % max(1, self.config.detect_every) == 0:
            t0 = time.perf_counter()
            self._boxes = self.detector.detect(frame.image)[: self.config.max_faces]
            detect_ms = (time.perf_counter() - t0) * 1000
        classify = n % max(1, self.config.classify_every) == 0 and bool(self._boxes)
        if classify:
            t0 = time.perf_counter()
            scores = self.classifier.classify(frame.image, self._boxes)
            classify_ms = (time.perf_counter() - t0) * 1000
            faces, mood = self.smoother.update(
                [FaceResult(box, s) for box, s in zip(self._boxes, scores)], frame.timestamp
            )
            self._last_faces = faces
        else:
            faces = self._carry_forward(frame.timestamp)
            mood = self.smoother.snapshot(frame.timestamp)
        timings = StageTimings(detect_ms=detect_ms, classify_ms=classify_ms,
                               faces_classified=len(self._boxes) if classify else 0)
        return FrameResult(frame, tuple(faces), classify, mood, timings)

    def reset(self) -> None:
        """Start afresh (new source)."""
        self._frames_seen = 0
        self._boxes, self._last_faces = [], []
        self.smoother.reset()

    def _carry_forward(self, now: float) -> list[FaceResult]:
        """Current boxes with the scores of the face each one overlaps most in the last classified frame."""
        faces = []
        for box in self._boxes:
            best = max(self._last_faces, key=lambda f: box.iou(f.box), default=None)
            if best is not None and box.iou(best.box) > 0.2:
                faces.append(FaceResult(box, best.scores, best.track_id))
        return faces
