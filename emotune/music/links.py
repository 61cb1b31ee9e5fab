"""Spotify track ids and the links built from them. An id is checked before any URL is made from it, so
nothing the catalog or a CSV holds can turn into a link somewhere else."""
from __future__ import annotations

import re

_ID = re.compile(r"[0-9A-Za-z]{22}")
_URI = re.compile(r"spotify:track:([0-9A-Za-z]{22})")
_URL = re.compile(r"https?://open\.spotify\.com/(?:intl-[a-z]{2}(?:-[a-z]{2})?/)?track/([0-9A-Za-z]{22})(?:[?#].*)?")


def is_track_id(value: str) -> bool:
    """True for exactly 22 base62 characters (Spotify's id alphabet)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def parse_track_id(value: str) -> str:
    """The bare id from an id, a `spotify:track:` URI or an open.spotify.com track URL; "" when none."""
    value = (value or "").strip()
    if _ID.fullmatch(value):
        return value
    for pattern in (_URI, _URL):
        if m := pattern.fullmatch(value):
            return m.group(1)
    return ""


def track_url(track_id: str) -> str:
    """https://open.spotify.com/track/<id>; ValueError for anything that is not a valid id."""
    if not is_track_id(track_id):
        raise ValueError(f"not a Spotify track id: {track_id!r}")
    return f"https://open.spotify.com/track/{track_id}"


def track_uri(track_id: str) -> str:
    if not is_track_id(track_id):
        raise ValueError(f"not a Spotify track id: {track_id!r}")
    return f"spotify:track:{track_id}"
