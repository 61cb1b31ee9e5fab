"""The mood in words (which emotion, how sure, trend, how long it held), valence/arousal, and the timeline.

Which mood is in force decides the headline: a mood set by hand ("I feel: …") stands until the user goes back
to the detected one, while the detected mood keeps being read underneath (the detail line and the timeline
follow it), so switching back shows a mood and a chart that agree. A mood with no single clear emotion is
called mixed (`MoodSnapshot.blend`), so the headline never names an emotion its own numbers contradict."""
from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from emotune.core.emotions import signed
from emotune.core.mood import MoodBlend, MoodSnapshot
from emotune.gui.style import EMOTION_COLORS, MOOD_ADJECTIVES, MOOD_WORDS, describe_va, label
from emotune.gui.widgets.live_text import LiveText
from emotune.gui.widgets.mood_timeline import MoodTimeline
from emotune.gui.widgets.wrapping_label import WrappingLabel

TREND_WORDS = {"rising": "brightening", "falling": "darkening", "steady": "steady"}
NO_MOOD = "No mood yet"
LOOKING = "Looking for a face…"


def _dot(emotion: str) -> str:
    return f'<span style="color:{EMOTION_COLORS[emotion].name()}">●</span>'


def headline_html(mood: MoodSnapshot, blend: MoodBlend | None = None) -> str:
    """"● Happy" for a clear mood, "● ● Mixed: happy and fearful" for a mixed one."""
    blend = blend or mood.blend()
    if not blend.mixed:
        return f"{_dot(blend.emotions[0])} {MOOD_WORDS[blend.emotions[0]]}"
    first, second = blend.emotions
    return f"{_dot(first)}{_dot(second)} Mixed: {MOOD_ADJECTIVES[first]} and {MOOD_ADJECTIVES[second]}"


def certainty_text(mood: MoodSnapshot, blend: MoodBlend) -> str:
    """How sure, in words that match the headline: one face's certainty, or each emotion's share of a mixed or
    a group mood."""
    if not blend.mixed and mood.face_count <= 1:
        return f"{blend.shares[0]:.0%} sure"
    shares = " and ".join(f"{label(e).lower()} {p:.0%}" for e, p in zip(blend.emotions, blend.shares))
    if mood.face_count > 1:
        return f"{shares} across {mood.face_count} faces"
    return shares


def va_text(mood: MoodSnapshot, blend: MoodBlend) -> str:
    words = describe_va(mood.valence, mood.arousal)
    if blend.mixed and abs(mood.valence) <= 0.15:
        words = words.replace("neither pleasant nor unpleasant", "pleasant and unpleasant feelings mixed")
    return f"Valence {signed(mood.valence)} · Arousal {signed(mood.arousal)} — {words}"


class MoodPanel(QWidget):
    """GUI thread."""

    def __init__(self, timeline: MoodTimeline | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headline = WrappingLabel(NO_MOOD)   # a mixed mood ("Mixed: disgusted and surprised") may take two lines
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.headline.setFont(font)
        # these two change with every analysed frame: LiveText repaints itself, not the whole window
        self.detail = LiveText("Start the camera or open a photo to read a mood.")
        self.va = LiveText("")
        self.timeline = timeline or MoodTimeline()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addWidget(self.va)
        layout.addWidget(self.timeline, 1)
        self.detected: MoodSnapshot | None = None   # the mood read from the faces, None before the first face
        self.manual: MoodSnapshot | None = None     # the mood set by hand, while it is in force
        self._still = False                          # a photo: no trend and no "held" (it never changes)
        self._waiting = LOOKING                      # what the detail says while there is no detected mood

    # --- what the window tells it --------------------------------------------------------------------------
    def show_mood(self, mood: MoodSnapshot, add_to_timeline: bool = True) -> None:
        """A mood: a hand-set one puts itself in force; a detected one is recorded (timeline) and shown, under
        the hand-set headline while one is in force."""
        if mood.manual:
            self.set_manual(mood)
            return
        self.detected = mood
        if add_to_timeline:
            self.timeline.add(mood)
        self._render()

    def set_manual(self, mood: MoodSnapshot | None) -> None:
        """The hand-set mood in force, or None to go back to the detected one."""
        self.manual = mood
        self._render()

    def set_still(self, still: bool) -> None:
        """A photo: the mood has no trend and holds no time."""
        self._still = still
        self._render()

    def show_waiting(self, text: str) -> None:
        """Why there is no detected mood (no face yet, no emotion model, an unreadable source)."""
        self._waiting = text
        self.detail.setToolTip("")
        self._render()

    def show_unreadable(self, text: str) -> None:
        """The source cannot be read: no mood will come from it, so stop promising one."""
        self.detected = None
        self.show_waiting(text)

    def reset(self) -> None:
        """A new source: the detected mood and its chart start again; a hand-set mood stays in force."""
        self.detected = None
        self._waiting = LOOKING
        self.detail.setToolTip("")
        self.timeline.clear()
        self._render()

    # --- drawing -------------------------------------------------------------------------------------------
    def _render(self) -> None:
        manual, detected = self.manual, self.detected
        shown = manual or detected
        blend = shown.blend() if shown is not None else None   # once per mood: this runs for every result
        self.headline.setText(headline_html(shown, blend) if shown is not None else NO_MOOD)
        self.va.setText(va_text(shown, blend) if shown is not None else "")
        if manual is not None:
            now = f"Detected now: {self._detected_words()}." if detected is not None else \
                f"Detected now: {self._waiting[:1].lower()}{self._waiting[1:]}"
            self.detail.setText(f"Set by hand (the music follows it). {now}")
        elif detected is not None:
            self.detail.setText(self._detected_words(full=True))
        else:
            self.detail.setText(self._waiting)

    def _detected_words(self, full: bool = False) -> str:
        mood = self.detected
        blend = mood.blend()
        if not full:
            return f"mixed ({certainty_text(mood, blend)})" if blend.mixed else \
                f"{label(blend.emotions[0]).lower()}, {certainty_text(mood, blend)}"
        parts = [certainty_text(mood, blend)]
        if not self._still:
            parts += [TREND_WORDS.get(mood.trend, mood.trend), f"held {mood.held_s:.0f} s"]
        if mood.face_count == 1:   # several faces are counted in the certainty words
            parts.append("1 face")
        return " · ".join(parts)
