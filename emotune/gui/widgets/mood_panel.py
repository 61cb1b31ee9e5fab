"""The mood in words (dominant emotion, confidence, trend, how long it held), valence/arousal, and the timeline."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from emotune.core.mood import MoodSnapshot
from emotune.gui.style import EMOTION_COLORS, MOOD_WORDS, describe_va
from emotune.gui.widgets.live_text import LiveText
from emotune.gui.widgets.mood_timeline import MoodTimeline

TREND_WORDS = {"rising": "brightening", "falling": "darkening", "steady": "steady"}


class MoodPanel(QWidget):
    """GUI thread."""

    def __init__(self, timeline: MoodTimeline | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headline = QLabel("No mood yet")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.headline.setFont(font)
        # these two change with every analysed frame: LiveText repaints itself, not the whole window
        self.detail = LiveText("Start the camera or open a video to read a mood.")
        self.va = LiveText("")
        self.timeline = timeline or MoodTimeline()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addWidget(self.va)
        layout.addWidget(self.timeline, 1)

    def show_mood(self, mood: MoodSnapshot, add_to_timeline: bool = True) -> None:
        color = EMOTION_COLORS[mood.dominant].name()
        self.headline.setText(f'<span style="color:{color}">●</span> {MOOD_WORDS[mood.dominant]}')
        if mood.manual:
            self.detail.setText("Set by hand (detection is paused for the music).")
        else:
            people = "1 face" if mood.face_count == 1 else f"{mood.face_count} faces"
            self.detail.setText(f"{mood.confidence:.0%} sure · {TREND_WORDS.get(mood.trend, mood.trend)} · "
                                f"held {mood.held_s:.0f} s · {people}")
        self.va.setText(f"Valence {mood.valence:+.2f} · Arousal {mood.arousal:+.2f} — "
                        f"{describe_va(mood.valence, mood.arousal)}")
        if add_to_timeline and not mood.manual:
            self.timeline.add(mood)

    def show_waiting(self, text: str) -> None:
        self.detail.setText(text)

    def reset(self) -> None:
        self.headline.setText("No mood yet")
        self.detail.setText("Looking for a face…")
        self.va.setText("")
        self.timeline.clear()
