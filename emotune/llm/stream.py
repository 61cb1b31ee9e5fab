"""Reads one string field out of a JSON reply that is still being generated, so the summary can be shown
while the model writes it ("typing"), long before the JSON is complete."""
from __future__ import annotations

import re

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def partial_string_field(text: str, key: str) -> str | None:
    """The decoded value of string field `key` as far as `text` goes; None until its opening quote arrived.

    A half-received escape at the end is left out until it completes."""
    match = re.search(r'"%s"\s*:\s*"' % re.escape(key), text)
    if match is None:
        return None
    out: list[str] = []
    i, n = match.end(), len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            break
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            break
        esc = text[i + 1]
        if esc == "u":
            digits = text[i + 2:i + 6]
            if len(digits) < 4:
                break
            try:
                code = int(digits, 16)
            except ValueError:
                code = 0xFFFD
            i += 6
            if 0xD800 <= code < 0xDC00:  # high surrogate: wait for its partner and combine them
                low = text[i:i + 6]
                if len(low) < 6 and (low == "" or low.startswith("\\u"[: len(low)])):
                    i -= 6
                    break
                if low.startswith("\\u") and _is_low_surrogate(low[2:]):
                    code = 0x10000 + ((code - 0xD800) << 10) + (int(low[2:], 16) - 0xDC00)
                    i += 6
                else:
                    code = 0xFFFD
            elif 0xDC00 <= code < 0xE000:
                code = 0xFFFD
            out.append(chr(code))
            continue
        out.append(_ESCAPES.get(esc, esc))
        i += 2
    return "".join(out)


def _is_low_surrogate(digits: str) -> bool:
    try:
        return 0xDC00 <= int(digits, 16) < 0xE000
    except ValueError:
        return False


class FieldStreamer:
    """Feeds generated chunks and reports the field's text when it grew (for the on_text callback)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.text = ""
        self._shown = ""

    def feed(self, chunk: str) -> str | None:
        self.text += chunk
        value = partial_string_field(self.text, self.key)
        if value is None or value == self._shown:
            return None
        self._shown = value
        return value
