"""Colours and words shared by the widgets: one colour per emotion, readable on light and dark palettes."""
from __future__ import annotations

from PySide6.QtGui import QColor

from emotune.core.emotions import EMOTIONS

EMOTION_COLORS: dict[str, QColor] = {
    "angry": QColor("#e5484d"),
    "disgust": QColor("#8e9c2f"),
    "fear": QColor("#8e4ec6"),
    "happy": QColor("#f5a524"),
    "sad": QColor("#3e8ed0"),
    "surprise": QColor("#12a594"),
    "neutral": QColor("#8b8d98"),
}

MOOD_WORDS: dict[str, str] = {
    "angry": "Tense and angry",
    "disgust": "Put off",
    "fear": "Anxious",
    "happy": "Happy",
    "sad": "Low and sad",
    "surprise": "Surprised",
    "neutral": "Calm and neutral",
}

assert set(EMOTION_COLORS) == set(EMOTIONS) == set(MOOD_WORDS)


def label(emotion: str) -> str:
    return emotion.capitalize()


def describe_va(valence: float, arousal: float) -> str:
    """Words for a point on the valence/arousal plane ("pleasant, calm")."""
    v = "pleasant" if valence > 0.15 else "unpleasant" if valence < -0.15 else "neither pleasant nor unpleasant"
    a = "energised" if arousal > 0.2 else "calm" if arousal < -0.2 else "relaxed"
    return f"{v}, {a}"
