"""The mood panel and the main face's emotion bars: what the detected (or hand-set) mood is, and why there is
none when the emotion model is missing. GUI thread."""
from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from emotune.core.emotions import to_mapping
from emotune.core.mood import MoodSnapshot
from emotune.gui.services.session import MoodSession
from emotune.gui.widgets.controls import Controls
from emotune.gui.widgets.emotion_bars import EmotionBars
from emotune.gui.widgets.mood_panel import MoodPanel
from emotune.gui.workers.inference_worker import InferenceOutput, ModelStatus
from emotune.gui.workers.pipeline_controller import PipelineController


class MoodPresenter(QObject):
    """Feeds each result's mood to the panel and the session; the toolbar's "I feel: …" sets a mood by hand."""

    def __init__(self, mood: MoodPanel, bars: EmotionBars, controls: Controls, controller: PipelineController,
                 session: MoodSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mood, self.bars, self.controller, self.session = mood, bars, controller, session
        controls.manual_mood_changed.connect(self._on_manual)
        controller.models_ready.connect(self._on_models_ready)
        controller.source_failed.connect(self._on_source_failed)
        controller.result.connect(self._on_result)

    def new_run(self, still: bool) -> None:
        """A source (or a folder's next photo) starts: a fresh mood, no scores (SourcePresenter.run_started)."""
        self.mood.reset()
        self.mood.set_still(still)
        self._explain_no_emotions()
        self.bars.set_scores(None)

    @Slot(str, str, str)
    def _on_source_failed(self, kind: str, message: str, hint: str) -> None:
        self.mood.show_unreadable(f"No mood: {message[:1].lower()}{message[1:]}")

    @Slot()
    def no_face_in_photo(self) -> None:
        """Not "Looking for a face…" under a photo read to its end."""
        self.mood.show_waiting("No face found in this photo.")

    @Slot(object)
    def _on_models_ready(self, status: ModelStatus) -> None:
        if not status.emotion:
            self.bars.setToolTip(f"The emotion model is not loaded: {status.problem}")
            self._explain_no_emotions()

    def _explain_no_emotions(self) -> None:
        """Faces are found but no mood can be read: say why and what still works, instead of "No mood yet"."""
        status = self.controller.model_status
        if status is not None and not status.emotion:
            self.mood.show_waiting("The emotion model is not loaded, so faces get no mood. Choose “I feel: …” in "
                                   "the toolbar to set your mood by hand; analysis and music still work.")
            self.mood.detail.setToolTip(status.problem)

    @Slot(object)
    def _on_result(self, output: InferenceOutput) -> None:
        result = output.result
        if not result.faces:
            self.bars.set_scores(None)
        elif output.emotions:
            self.bars.set_scores(to_mapping(result.faces[0].scores))
        if result.mood is not None:   # under a hand-set mood too: the panel keeps both (mood_panel.py)
            self.mood.show_mood(result.mood)
        self.session.on_mood(result.mood)

    @Slot(str)
    def _on_manual(self, emotion: str) -> None:
        self.mood.set_manual(MoodSnapshot.manual_mood(emotion) if emotion else None)
        self.session.set_manual(emotion)
