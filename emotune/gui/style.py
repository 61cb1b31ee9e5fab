"""Colours and words shared by the widgets: one colour per emotion, readable on light and dark palettes, and a
palette whose grey (disabled) text still passes WCAG AA contrast."""
from __future__ import annotations

import re

from PySide6.QtGui import QColor, QPalette

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

# one word for an emotion inside a sentence ("Mixed: happy and fearful"): the class names mix adjectives and nouns
MOOD_ADJECTIVES: dict[str, str] = {
    "angry": "angry",
    "disgust": "disgusted",
    "fear": "fearful",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprised",
    "neutral": "neutral",
}

assert set(EMOTION_COLORS) == set(EMOTIONS) == set(MOOD_WORDS) == set(MOOD_ADJECTIVES)


def breakable(text: str, longest: int = 24) -> str:
    """`text` with invisible break points inside long unbroken runs (paths, addresses, error reprs), so a
    word-wrapped label wraps them instead of cutting them off at its edge."""
    words = []
    for word in text.split(" "):
        if len(word) > longest:
            word = re.sub(r"([/\\_.,:=(&?-])", "\\1\u200b", word)
        words.append(word)
    return " ".join(words)


def label(emotion: str) -> str:
    return emotion.capitalize()


def describe_va(valence: float, arousal: float) -> str:
    """Words for a point on the valence/arousal plane ("pleasant, calm")."""
    v = "pleasant" if valence > 0.15 else "unpleasant" if valence < -0.15 else "neither pleasant nor unpleasant"
    a = "energised" if arousal > 0.2 else "calm" if arousal < -0.2 else "relaxed"
    return f"{v}, {a}"


AA_CONTRAST = 4.5   # WCAG 2.x level AA for normal text


def _luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2.x contrast ratio of two colours, 1 (none) to 21 (black on white)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _towards(color: QColor, target: QColor, t: float) -> QColor:
    return QColor.fromRgbF(*(c + (g - c) * t for c, g in zip(color.getRgbF()[:3], target.getRgbF()[:3])))


def readable_palette(palette: QPalette) -> QPalette:
    """`palette` with its disabled (grey) text moved toward the normal text colour just far enough to pass AA on
    both the window and the base background: still visibly muted, never unreadable (light and dark themes)."""
    out = QPalette(palette)
    group = QPalette.ColorGroup.Disabled
    for role, normal in ((QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.WindowText)),
                         (QPalette.ColorRole.Text, palette.color(QPalette.ColorRole.Text))):
        grey = palette.color(group, role)
        backgrounds = (palette.color(group, QPalette.ColorRole.Window), palette.color(group, QPalette.ColorRole.Base))
        t = 0.0
        while t < 1.0 and min(contrast_ratio(_towards(grey, normal, t), bg) for bg in backgrounds) < AA_CONTRAST + 0.1:
            t += 0.05
        out.setColor(group, role, _towards(grey, normal, min(t, 1.0)))
    return out
