"""The JSON model card that sits beside a .keras file: what the model expects (classes, input size,
preprocessing, crop margin), how to calibrate it (temperature, TTA), and what it scored and how it was made.
The classifier reads the first group; people and the README read the rest.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emotune.core.emotions import EMOTIONS, N_EMOTIONS
from emotune.inference.preprocessing import DEFAULT_INPUT_SIZE, DEFAULT_MARGIN

PREPROCESSING_TEXT = (
    "emotune.inference.preprocessing.prepare_face: detector box grown by `margin` x size on each side "
    "(edge pixels replicated past the frame), BGR->gray with OpenCV weights, resized to input_size x "
    "input_size (INTER_AREA shrinking, INTER_LINEAR enlarging), uint8 0-255, shape (s, s, 1); the model's "
    "Rescaling layer maps to 0-1"
)


class CardError(ValueError):
    """The card is unreadable or describes a model EmoTune cannot use."""


def default_card() -> dict[str, Any]:
    """What a card without optional fields means: FER classes, 48x48 gray, no calibration."""
    return {"classes": list(EMOTIONS), "input_size": DEFAULT_INPUT_SIZE, "input_range": [0, 255],
            "color": "gray", "margin": DEFAULT_MARGIN, "temperature": 1.0, "tta": "none",
            "logit_bias": [0.0] * N_EMOTIONS, "preprocessing": PREPROCESSING_TEXT}


def read_card(path: Path) -> dict[str, Any]:
    """The card merged over the defaults; CardError says what is wrong with it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CardError(f"cannot read the model card {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise CardError(f"the model card {path} is not a JSON object")
    card = {**default_card(), **data}
    if list(card["classes"]) != list(EMOTIONS):
        raise CardError(f"the model card {path} lists classes {card['classes']}, expected {list(EMOTIONS)}")
    if card.get("tta") not in ("none", "flip"):
        raise CardError(f"the model card {path} has tta={card.get('tta')!r}; expected 'none' or 'flip'")
    try:
        card["input_size"], card["temperature"] = int(card["input_size"]), float(card["temperature"])
        card["margin"] = float(card["margin"])
    except (TypeError, ValueError) as exc:
        raise CardError(f"the model card {path} has a non-numeric input_size, temperature or margin") from exc
    if card["temperature"] <= 0:
        raise CardError(f"the model card {path} has a non-positive temperature")
    bias = card["logit_bias"]
    if not isinstance(bias, list) or len(bias) != N_EMOTIONS or not all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and abs(b) < 50 for b in bias):
        raise CardError(f"the model card {path} has logit_bias={bias!r}; expected {N_EMOTIONS} numbers, one a class")
    card["logit_bias"] = [float(b) for b in bias]
    return card


def write_card(path: Path, card: dict[str, Any]) -> None:
    """Writes the card atomically, defaults filled in."""
    path = Path(path)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({**default_card(), **card}, indent=2) + "\n")
    tmp.replace(path)
