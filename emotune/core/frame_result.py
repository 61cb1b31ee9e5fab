"""What the processor made of one frame. Apart from emotune.core.types because it carries a MoodSnapshot, and
emotune.core.mood builds on the per-face values there: this way the imports go one way."""
from __future__ import annotations

from dataclasses import dataclass, field

from emotune.core.mood import MoodSnapshot
from emotune.core.types import FaceResult, Frame


@dataclass(frozen=True)
class StageTimings:
    """Milliseconds spent in each pipeline stage for one frame (0 where the stage was skipped)."""

    capture_ms: float = 0.0
    detect_ms: float = 0.0
    classify_ms: float = 0.0
    faces_classified: int = 0

    @property
    def ms_per_face(self) -> float:
        return self.classify_ms / self.faces_classified if self.faces_classified else 0.0


@dataclass(frozen=True)
class FrameResult:
    """What the processor made of one frame: faces (largest first), whether they were freshly classified
    or carried over, the current mood, and stage timings."""

    frame: Frame
    faces: tuple[FaceResult, ...]
    classified: bool
    mood: MoodSnapshot | None = None
    timings: StageTimings = field(default_factory=StageTimings)

