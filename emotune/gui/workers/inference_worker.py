"""Loads the face detector and emotion classifier in its own thread, then analyses the newest frame.

Models load once, lazily, when the thread starts, so the window is usable at once and shows progress. If the
emotion model cannot be loaded, faces are still found and boxed ("emotion model missing" in the status bar):
the app degrades instead of failing.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from emotune.core.emotions import N_EMOTIONS
from emotune.core.frame_result import FrameResult, StageTimings
from emotune.core.types import FaceResult
from emotune.gui.workers.frame_slot import CapturedFrame, LatestFrameSlot
from emotune.inference.classifier import EmotionClassifier
from emotune.pipeline.processor import FrameProcessor, ProcessorConfig
from emotune.vision.detection import FaceDetector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelStatus:
    detector: bool
    emotion: bool
    emotion_name: str = ""
    load_s: float = 0.0
    problem: str = ""


@dataclass(frozen=True)
class InferenceOutput:
    """One analysed frame as it crosses to the GUI thread."""

    result: FrameResult
    captured_at: float        # monotonic time the frame was read
    generation: int           # the source it came from
    emotions: bool            # False while the emotion model is missing (boxes only)


class InferenceWorker(QObject):
    """Lives in the inference QThread. `interval_ms` is the least time between two analysed frames."""

    progress = Signal(str, int)    # message, percent
    ready = Signal(object)         # ModelStatus
    error = Signal(str)            # readable text for the status bar
    result = Signal(object)        # InferenceOutput
    done = Signal()                # run() returned

    def __init__(self, detector_factory: Callable[[], FaceDetector],
                 classifier_factory: Callable[[], EmotionClassifier], slot: LatestFrameSlot,
                 interval_ms: int = 100, config: ProcessorConfig | None = None) -> None:
        super().__init__()
        self._detector_factory, self._classifier_factory = detector_factory, classifier_factory
        self._slot = slot
        self._interval_s = max(0, interval_ms) / 1000.0
        self._config = config or ProcessorConfig(detect_every=1, classify_every=1)
        self._stop = threading.Event()
        self._generation = -1
        self.processed = 0
        self.classified = 0

    def stop(self) -> None:
        self._stop.set()
        self._slot.wake()

    def set_interval(self, interval_ms: int) -> None:
        """Any thread (a float assignment is atomic)."""
        self._interval_s = max(0, interval_ms) / 1000.0

    @Slot()
    def run(self) -> None:
        """Inference thread: load, then analyse until stopped."""
        threading.current_thread().name = "inference"
        try:
            self._run()
        finally:
            self.done.emit()

    def _run(self) -> None:
        loaded = self._load()
        if loaded is None:
            return
        detector, classifier = loaded
        processor = FrameProcessor(detector, classifier, config=self._config) if classifier else None
        last = 0.0
        while not self._stop.is_set():
            wait = self._interval_s - (time.monotonic() - last)
            if wait > 0 and self._stop.wait(wait):
                break
            item = self._slot.take(timeout=0.2)
            if item is None or self._stop.is_set():
                continue
            last = time.monotonic()
            try:
                self.result.emit(self._analyse(item, detector, processor))
            except Exception as exc:  # one bad frame must not stop the stream
                log.exception("analysing a frame failed")
                self.error.emit(f"Analysing a frame failed: {exc}")

    def _load(self):
        t0 = time.monotonic()
        self.progress.emit("Loading the face detector…", 10)
        try:
            detector = self._detector_factory()
            getattr(detector, "load", lambda: None)()
        except Exception as exc:
            log.exception("face detector unavailable")
            self.error.emit(f"Face detector unavailable: {exc}")
            self.ready.emit(ModelStatus(False, False, problem=str(exc)))
            return None
        if getattr(detector, "fallback_reason", ""):
            self.error.emit(f"{detector.fallback_reason} Using OpenCV's Haar cascade instead, which finds fewer "
                            "tilted or dim faces.")
        if self._stop.is_set():
            return None
        self.progress.emit("Loading the emotion model (first start takes a few seconds)…", 35)
        classifier, name, problem = None, "", ""
        try:
            classifier = self._classifier_factory()
            classifier.load()
            name = getattr(classifier, "name", "") or type(classifier).__name__
        except Exception as exc:
            log.warning("emotion model unavailable: %s", exc)
            classifier, problem = None, str(exc)
            self.error.emit(f"Emotion model unavailable: {exc} Faces are still found, without emotions.")
        self.progress.emit("Models ready", 100)
        self.ready.emit(ModelStatus(True, classifier is not None, name, time.monotonic() - t0, problem))
        return detector, classifier

    def _analyse(self, item: CapturedFrame, detector: FaceDetector,
                 processor: FrameProcessor | None) -> InferenceOutput:
        if item.generation != self._generation:
            self._generation = item.generation
            if processor:
                processor.reset()
        self.processed += 1
        if processor is None:
            t0 = time.perf_counter()
            boxes = detector.detect(item.frame.image)
            uniform = np.full(N_EMOTIONS, 1.0 / N_EMOTIONS)
            result = FrameResult(item.frame, tuple(FaceResult(b, uniform) for b in boxes), False, None,
                                 StageTimings(detect_ms=(time.perf_counter() - t0) * 1000))
            return InferenceOutput(result, item.captured_at, item.generation, False)
        result = processor.process(item.frame)
        self.classified += int(result.classified)
        return InferenceOutput(result, item.captured_at, item.generation, True)
