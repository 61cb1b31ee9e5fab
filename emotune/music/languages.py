"""Language names for the codes the catalog stores (ISO 639-1): people read "Spanish", not "es"."""
from __future__ import annotations

NAMES: dict[str, str] = {
    "ar": "Arabic", "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "fa": "Persian",
    "fr": "French", "he": "Hebrew", "hi": "Hindi", "it": "Italian", "ja": "Japanese", "ko": "Korean",
    "ms": "Malay", "pt": "Portuguese", "ru": "Russian", "sv": "Swedish", "th": "Thai", "tr": "Turkish",
    "zh": "Chinese",
}


def language_name(code: str) -> str:
    """"es" -> "Spanish"; a code without a name comes back as written (a user's own "eo" stays "eo")."""
    return NAMES.get(code.strip().lower(), code.strip())
