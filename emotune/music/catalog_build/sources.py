"""Reading Spotify track CSVs into Tracks: the Kaggle layouts and playlist exports, recognised by column name.

What real files get wrong, and what this module does about it (see ../shared/datasets/music/SOURCES.md):
- a header damaged by a double-encoded BOM (`ï»¿energy`): BOMs and their mojibake are stripped from names;
- mojibake (UTF-8 read as Mac Roman, written as UTF-8, read as Latin-1): repaired by reversing that chain,
  including the variant where a NEL byte (\\x85) was lost as a line break;
- one track in several rows (one per playlist and genre): merged, genres united;
- two-digit years (`8/16/24`): a fixed pivot (<= 30 is 20xx), so building twice gives the same catalog.
"""
from __future__ import annotations

import csv
import io
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator

from emotune.music.catalog import CatalogError
from emotune.music.genres import NOT_MUSIC, classify
from emotune.music.genres import sort_key as genre_sort_key
from emotune.music.links import is_track_id, parse_track_id
from emotune.music.track import Track

log = logging.getLogger(__name__)

R_MISSING = ("NA",)  # how R (spotify_songs.csv was made with spotifyr) writes a missing value
UNTITLED, UNKNOWN_ARTIST = "(untitled)", "Unknown artist"
YEAR_PIVOT = 30  # two-digit years up to this are 2000s; the sources were collected 2019-2026

# Column names each field may have (compared after lower-casing and dropping spaces, "_", "(s)").
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("trackid", "id", "spotifyid", "trackuri", "uri", "spotifyuri", "spotifytrackid"),
    "title": ("trackname", "track", "name", "title", "song", "songname"),
    "artists": ("artistname", "trackartist", "artists", "artist", "artistnames"),
    "album": ("albumname", "trackalbumname", "album"),
    "date": ("releasedate", "trackalbumreleasedate", "albumreleasedate", "year"),
    "popularity": ("popularity", "trackpopularity"),
    "genres": ("genres", "genre", "trackgenre", "playlistgenre", "artistgenres"),
    "subgenre": ("playlistsubgenre", "subgenre"),
    "playlist": ("playlistname",),
    "explicit": ("explicit",),
    "language": ("language", "lang"),
    "valence": ("valence",),
    "energy": ("energy",),
    "danceability": ("danceability",),
    "acousticness": ("acousticness",),
    "tempo": ("tempo", "bpm"),
    "duration": ("durationms", "length"),
}
REQUIRED = ("id", "title", "artists", "valence", "energy")
LABELS = {"id": "track id (track_id, uri or Track URI)", "title": "track name (track_name or Track Name)",
          "artists": "artist (track_artist or Artist Name(s))", "valence": "Valence", "energy": "Energy"}

# Language hints from genres, subgenres and playlist names (there is no language column in the sources).
LANGUAGE_HINTS: tuple[tuple[str, str], ...] = (
    ("brazil", "pt"), ("sertanejo", "pt"), ("funk carioca", "pt"), ("latin", "es"), ("reggaeton", "es"),
    ("spanish", "es"), ("mexican", "es"), ("arab", "ar"), ("j-pop", "ja"), ("japan", "ja"), ("anime", "ja"),
    ("k-pop", "ko"), ("korean", "ko"), ("bollywood", "hi"), ("desi", "hi"), ("indian", "hi"), ("turkish", "tr"),
    ("french", "fr"), ("german", "de"), ("italian", "it"), ("cantopop", "zh"), ("mandopop", "zh"), ("j-rock", "ja"),
    ("j-idol", "ja"), ("j-dance", "ja"), ("malay", "ms"), ("iranian", "fa"), ("swedish", "sv"), ("mpb", "pt"),
    ("pagode", "pt"), ("samba", "pt"), ("forro", "pt"), ("salsa", "es"), ("tango", "es"), ("pop-film", "hi"),
)
_SCRIPTS = (("HANGUL", "ko"), ("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("CJK", "zh"), ("ARABIC", "ar"),
            ("CYRILLIC", "ru"), ("DEVANAGARI", "hi"), ("THAI", "th"), ("HEBREW", "he"), ("GREEK", "el"))
_MOJIBAKE = re.compile("[\u0080-\u009f]|Ã|â")
_LOST_NEL = re.compile("Ã(?![\u0080-\u00bf])")


@dataclass
class ReadReport:
    """What reading one file did: rows read, tracks kept, ids dropped as invalid, names repaired."""

    path: str
    rows: int = 0
    invalid_ids: int = 0
    missing_features: int = 0
    missing_names: int = 0
    not_music: int = 0
    repaired: int = 0
    unrepaired: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.path}: {self.rows} rows"]
        if self.invalid_ids:
            parts.append(f"{self.invalid_ids} dropped for an invalid track id")
        if self.missing_features:
            parts.append(f"{self.missing_features} dropped for missing valence/energy")
        if self.missing_names:
            parts.append(f"{self.missing_names} with no names (`NA`)")
        if self.not_music:
            parts.append(f"{self.not_music} left out as not music ({', '.join(sorted(NOT_MUSIC))})")
        if self.repaired:
            parts.append(f"{self.repaired} with repaired text encoding")
        if self.unrepaired:
            parts.append(f"{len(self.unrepaired)} with damaged text left as is")
        return ", ".join(parts)


def repair_mojibake(text: str) -> str:
    """Undoes UTF-8 → Mac Roman → UTF-8 → Latin-1 damage; returns `text` unchanged when it is not that."""
    if text.isascii() or not _MOJIBAKE.search(text):
        return text
    for candidate in (text, _LOST_NEL.sub("Ã\u0085", text)):
        try:
            fixed = candidate.encode("latin-1").decode("utf-8").encode("mac_roman").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return unicodedata.normalize("NFC", fixed)
    return text


def _norm(name: str) -> str:
    name = name.replace("\ufeff", "").replace("ï»¿", "").strip().lower()
    return re.sub(r"[\s_\-]|\(s\)", "", name)


def map_columns(header: list[str]) -> dict[str, int]:
    """Field → column index for the fields this header has (first matching alias wins)."""
    normed = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for fieldname, aliases in ALIASES.items():
        for alias in aliases:
            if alias in normed:
                found[fieldname] = normed.index(alias)
                break
    return found


def parse_year(text: str) -> int:
    """Year from `YYYY`, `YYYY-MM(-DD)`, `M/D/YY` or `M/D/YYYY`; 0 when unknown."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})(?:-\d{1,2}(?:-\d{1,2})?)?(?:T.*)?", text):
        return int(m.group(1))
    if m := re.fullmatch(r"\d{1,2}/\d{1,2}/(\d{2}|\d{4})", text):
        y = int(m.group(1))
        if len(m.group(1)) == 2:
            y += 2000 if y <= YEAR_PIVOT else 1900
        return y
    return 0


def script_language(text: str) -> str:
    for ch in text:
        if ord(ch) < 0x250:
            continue
        name = unicodedata.name(ch, "")
        for script, lang in _SCRIPTS:
            if script in name:
                return lang
    return ""


def language_hint(title: str, artists: str, genres: Iterable[str], context: str) -> str:
    """A best guess of the sung language: the script of the title first, then genre and playlist words;
    plain Latin-script text with no other hint counts as English. A hint, not a fact (see docs/music.md)."""
    lang = script_language(title) or script_language(artists)
    if lang:
        return lang
    words = " ".join(list(genres) + [context]).lower()
    for word, code in LANGUAGE_HINTS:
        if word in words:
            return code
    return "en" if (title + artists).isascii() else ""


def _float(text: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return math.nan
    return value if math.isfinite(value) else math.nan


def _explicit(text: str) -> bool | None:
    t = text.strip().lower()
    return True if t in ("true", "1", "yes") else False if t in ("false", "0", "no") else None


def _split_artists(text: str, column: str) -> tuple[str, ...]:
    """Artist lists: comma-separated in track_artist and exports, ';' in the HF/Kaggle tracks set;
    a column named just "artist" holds one name (it may contain '&')."""
    text = text.strip()
    if not text:
        return ()
    if ";" in text:
        parts = text.split(";")
    elif _norm(column) == "artist":
        parts = [text]
    else:
        parts = text.split(",")
    return tuple(p.strip() for p in parts if p.strip())


def read_csv_text(text: str, path: str = "<csv>", report: ReadReport | None = None) -> list[Track]:
    """Tracks from CSV text; raises CatalogError naming the missing columns when the file cannot be used."""
    report = report or ReadReport(path)
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _read_rows(rows, path, report)
    except csv.Error as exc:  # e.g. a field over the csv module's limit: a damaged or foreign file
        raise CatalogError(f"{path} is not a readable CSV (row {report.rows + 1}: {exc})") from None


def _read_rows(rows: Iterator[list[str]], path: str, report: ReadReport) -> list[Track]:
    header = next(rows, None)
    if not header:
        raise CatalogError(f"{path} is empty: expected a CSV with a header row")
    col = map_columns(header)
    missing = [LABELS[f] for f in REQUIRED if f not in col]
    if missing:
        raise CatalogError(f"{path} cannot be used: no column for {', '.join(missing)}. "
                           f"Found columns: {', '.join(h.strip() for h in header[:12])}")
    out = []
    for row in rows:
        if not any(c.strip() for c in row):
            continue
        report.rows += 1
        track = _row_to_track(row, col, header, report)
        if track is not None:
            out.append(track)
    return out


def _row_to_track(row: list[str], col: dict[str, int], header: list[str], report: ReadReport) -> Track | None:
    def get(name: str) -> str:
        i = col.get(name)
        return row[i] if i is not None and i < len(row) else ""

    track_id = parse_track_id(get("id").strip())
    if not is_track_id(track_id):
        report.invalid_ids += 1
        return None
    valence, energy = _float(get("valence")), _float(get("energy"))
    if math.isnan(valence) or math.isnan(energy):
        report.missing_features += 1
        return None
    texts = {}
    damaged = False
    for name in ("title", "artists", "album", "playlist"):
        raw = get(name)
        fixed = repair_mojibake(raw)
        damaged |= fixed != raw
        if re.search("[\u0080-\u009f]", fixed):
            report.unrepaired.append(raw)
        texts[name] = fixed.strip()
    report.repaired += damaged
    if all(texts[name] in R_MISSING for name in ("title", "artists", "album")):
        # R's missing value written out as text: no name at all. The track keeps an empty title, so another
        # row of the same id can name it (merge_tracks); a build drops it if none does (library.named).
        report.missing_names += 1
        texts = dict.fromkeys(texts, "")
    raw_genres = [g for g in re.split(r"[;|,]", get("genres")) if g.strip()]
    if any(g.strip().lower() in NOT_MUSIC for g in raw_genres):
        report.not_music += 1
        return None
    subgenre = get("subgenre") if len(raw_genres) == 1 else ""
    genres = tuple(sorted({n for g in raw_genres for n in classify(g, subgenre)}, key=genre_sort_key))
    artists = _split_artists(texts["artists"], header[col["artists"]])
    lang = get("language").strip().lower()[:8] or language_hint(
        texts["title"], texts["artists"], [*raw_genres, get("subgenre")], texts["playlist"])
    pop = _float(get("popularity"))
    return Track(
        id=track_id, title=texts["title"] or (UNTITLED if texts["artists"] else ""),
        artists=artists or ((UNKNOWN_ARTIST,) if texts["title"] else ()),
        album=texts["album"], year=parse_year(get("date")),
        popularity=-1 if math.isnan(pop) else int(min(max(pop, 0), 100)), genres=genres, language=lang,
        explicit=_explicit(get("explicit")), valence=valence, energy=energy,
        danceability=_float(get("danceability")), tempo=_float(get("tempo")),
        acousticness=_float(get("acousticness")), duration_ms=_duration(get("duration")), playlist=texts["playlist"],
    )


def _duration(text: str) -> int:
    ms = _float(text)
    return int(ms) if ms == ms and 0 < ms < 1e8 else 0


def source_files(path: Path) -> list[Path]:
    """The CSV files of one source: the file itself, or every *.csv of a folder in name order (a data set
    published one file per genre, e.g. .data/spotify_tracks_by_genre/)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise CatalogError(f"{path} holds no .csv files")
        return files
    return [path]


def read_csv(path: Path, report: ReadReport | None = None) -> list[Track]:
    """Tracks from a CSV file, or from every CSV of a folder (one report for all of them)."""
    path = Path(path)
    if path.is_dir():
        report = report or ReadReport(path.name)
        return [t for f in source_files(path) for t in read_csv(f, report)]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        log.warning("%s is not UTF-8; read it as Windows-1252", path)
    return read_csv_text(text, str(path), report)


def merge_tracks(tracks: Iterable[Track]) -> Iterator[Track]:
    """One Track per id: genres united, popularity the highest, other fields from the first row that has them
    (a later source fills gaps; features come from the first source)."""
    merged: dict[str, Track] = {}
    for t in tracks:
        old = merged.get(t.id)
        if old is None:
            merged[t.id] = t
            continue
        merged[t.id] = replace(
            old, title=old.title or t.title, artists=old.artists or t.artists,
            album=old.album or t.album, year=old.year or t.year, popularity=max(old.popularity, t.popularity),
            genres=tuple(sorted(set(old.genres) | set(t.genres), key=genre_sort_key)),
            language=old.language if old.language not in ("", "en") else (t.language or old.language),
            explicit=old.explicit if old.explicit is not None else t.explicit,
            danceability=old.danceability if old.danceability == old.danceability else t.danceability,
            tempo=old.tempo if old.tempo == old.tempo else t.tempo,
            acousticness=old.acousticness if old.acousticness == old.acousticness else t.acousticness,
            duration_ms=old.duration_ms or t.duration_ms,
        )
    return iter(merged.values())
