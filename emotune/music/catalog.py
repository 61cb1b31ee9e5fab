"""The music catalog: tracks as numpy columns, and its compact file format.

Why columns: scoring a million tracks must be one vectorised pass, and loading must not build a million
Python objects. Strings stay as one UTF-8 blob plus offsets and are decoded only for the tracks shown.
Rows are sorted by Spotify id, so an id lookup is a binary search and the same tracks always give the same
bytes (the shipped file is reproducible).

File layout (little-endian), optionally gzip'd (mtime 0):
    b"EMOCAT1\\n", uint32 header length, header JSON {"format", "version", "count", "vocab", "arrays"},
    then each array of "arrays" ([name, dtype, length, encoding]) as raw bytes, in that order.
Encodings (version 2; version 1 files have none and still load): "lengths" stores offsets/pointers as the
smallest unsigned type that holds each row's length (gzip shrinks 8-byte running offsets poorly: 1/10 of
the shipped file); "columns" stores the (n, 4) feature matrix column by column.
"""
from __future__ import annotations

import bisect
import gzip
import io
import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from emotune.music.genres import expand, family_of, is_family, resolve
from emotune.music.genres import sort_key as genre_sort_key
from emotune.music.track import FEATURES, Track

MAGIC = b"EMOCAT1\n"
FORMAT = "emotune.catalog"
VERSION = 2
SHIPPED_NAME = "catalog.emocat"


class CatalogError(ValueError):
    """A catalog file or CSV that cannot be used; the text says why and what to do."""


@dataclass(frozen=True)
class StringColumn:
    """Strings as one UTF-8 blob and n+1 offsets: cheap to load, decoded one at a time."""

    blob: bytes
    offsets: np.ndarray

    @classmethod
    def of(cls, values: Iterable[str]) -> StringColumn:
        encoded = [v.encode("utf-8") for v in values]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(b"".join(encoded), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.blob[int(self.offsets[i]):int(self.offsets[i + 1])].decode("utf-8")


@dataclass(frozen=True)
class Ragged:
    """Several small integers per track (genre or artist ids): a CSR pair `ptr` (n+1) and `ids`."""

    ptr: np.ndarray
    ids: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[Sequence[int]], dtype: str) -> Ragged:
        ptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(r) for r in rows], out=ptr[1:])
        flat = np.fromiter((x for r in rows for x in r), dtype=dtype, count=int(ptr[-1]))
        return cls(ptr, flat)

    def row(self, i: int) -> np.ndarray:
        return self.ids[self.ptr[i]:self.ptr[i + 1]]

    def owners(self) -> np.ndarray:
        """For each entry of `ids`, the track it belongs to."""
        return np.repeat(np.arange(len(self.ptr) - 1), np.diff(self.ptr))

    def any_of(self, wanted: np.ndarray, owners: np.ndarray | None = None) -> np.ndarray:
        """Boolean per track: has at least one id in `wanted` (vectorised; pass `owners()` when it is cached)."""
        mask = np.zeros(len(self.ptr) - 1, dtype=bool)
        if not len(wanted) or not len(self.ids):
            return mask
        lookup = np.zeros(int(max(wanted.max(), self.ids.max())) + 1, dtype=bool)
        lookup[wanted] = True
        owners = self.owners() if owners is None else owners
        mask[owners[lookup[self.ids]]] = True
        return mask

    def first(self, missing: int = -1) -> np.ndarray:
        """The first id per track (the primary artist), `missing` where a track has none."""
        out = np.full(len(self.ptr) - 1, missing, dtype=np.int64)
        has = np.diff(self.ptr) > 0
        out[has] = self.ids[self.ptr[:-1][has]]
        return out


class Catalog:
    """Immutable after construction; safe to share between threads (derived caches are idempotent)."""

    def __init__(self, ids: np.ndarray, titles: StringColumn, albums: StringColumn, artists: Ragged,
                 artist_names: StringColumn, genres: Ragged, genre_names: Sequence[str], language: np.ndarray,
                 language_names: Sequence[str], year: np.ndarray, popularity: np.ndarray, explicit: np.ndarray,
                 features: np.ndarray, tempo: np.ndarray, source: str = "") -> None:
        self.ids = ids                      # |S22, sorted
        self.titles = titles
        self.albums = albums
        self.artists = artists              # ids into artist_names
        self.artist_names = artist_names    # sorted by casefolded name
        self.genre_ids = genres             # ids into genre_names
        self.genre_names = tuple(genre_names)
        self.language = language            # uint8 codes into language_names ("" = unknown at 0)
        self.language_names = tuple(language_names)
        self.year = year                    # int16, 0 unknown
        self.popularity = popularity        # int8, -1 unknown
        self.explicit = explicit            # int8, -1 unknown
        self.features = features            # float32 (n, len(FEATURES)), NaN unknown
        self.tempo = tempo                  # float32 BPM
        self.source = source
        self._artist_keys: list[str] | None = None  # derived caches below: computed once, on first use
        self._primary: np.ndarray | None = None
        self._genre_counts: dict[str, int] | None = None
        self._families: tuple[str, ...] = ()             # family of each genre name
        self._genre_owners: np.ndarray | None = None     # track of each entry of genre_ids.ids

    # ---- queries ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    def genres(self) -> list[str]:
        """The genre families present, sorted: the list the LLM may choose from and the Settings dialog offers
        (each family also finds its subgenres; see emotune.music.genres)."""
        return sorted({family_of(g) for g in self.genre_names})

    def subgenres(self, family: str) -> list[str]:
        """The subgenres of one family present in this catalog, sorted."""
        return sorted(g for g in expand([family], self.genre_names) if not is_family(g))

    def knows_genre(self, name: str) -> bool:
        """True when a family, subgenre or alias of that name is in the catalog."""
        return bool(expand([name], self.genre_names))

    def genre_counts(self) -> dict[str, int]:
        """Tracks per genre family (a track with two families counts in both), in `genres()` order."""
        if self._genre_counts is None:
            self._genre_counts = {f: int(np.count_nonzero(self.genre_mask([f]))) for f in self.genres()}
        return dict(self._genre_counts)

    def languages(self) -> list[str]:
        return sorted(n for n in self.language_names if n)

    def index_of(self, track_ids: Iterable[str]) -> np.ndarray:
        """Row indices of the ids present in the catalog (unknown ids are skipped)."""
        keys = np.array([t.encode("ascii", "ignore") for t in track_ids], dtype="S22")
        if not len(keys) or not len(self.ids):
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self.ids, keys)
        pos = np.clip(pos, 0, len(self.ids) - 1)
        return np.unique(pos[self.ids[pos] == keys])

    def artist_index(self, name: str) -> int:
        """Id of an artist by case-insensitive name, or -1 (binary search on the sorted vocabulary)."""
        if self._artist_keys is None:
            self._artist_keys = [self.artist_names[i].casefold() for i in range(len(self.artist_names))]
        key = name.casefold()
        i = bisect.bisect_left(self._artist_keys, key)
        return i if i < len(self._artist_keys) and self._artist_keys[i] == key else -1

    def primary_artist(self) -> np.ndarray:
        if self._primary is None:
            self._primary = self.artists.first()
        return self._primary

    def genre_mask(self, names: Iterable[str]) -> np.ndarray:
        """Boolean per track: has one of the genres `names`, where a family includes its subgenres."""
        if self._genre_owners is None:
            self._families = tuple(family_of(g) for g in self.genre_names)
            self._genre_owners = self.genre_ids.owners()
        wanted_names = {resolve(n) for n in names if n.strip()}
        wanted = np.array([i for i, (g, f) in enumerate(zip(self.genre_names, self._families))
                           if g in wanted_names or f in wanted_names], dtype=np.int64)
        return self.genre_ids.any_of(wanted, self._genre_owners)

    def language_mask(self, names: Iterable[str]) -> np.ndarray:
        codes = [i for i, n in enumerate(self.language_names) if n and n in {x.lower() for x in names}]
        return np.isin(self.language, codes)

    def track(self, i: int) -> Track:
        f = self.features[i]
        ex = int(self.explicit[i])
        return Track(
            id=self.ids[i].decode("ascii"), title=self.titles[i],
            artists=tuple(self.artist_names[int(a)] for a in self.artists.row(i)), album=self.albums[i],
            year=int(self.year[i]), popularity=int(self.popularity[i]),
            genres=tuple(self.genre_names[int(g)] for g in self.genre_ids.row(i)),
            language=self.language_names[int(self.language[i])], explicit=None if ex < 0 else bool(ex),
            valence=float(f[0]), energy=float(f[1]), danceability=float(f[2]), acousticness=float(f[3]),
            tempo=float(self.tempo[i]),
        )

    def tracks(self) -> Iterator[Track]:
        return (self.track(i) for i in range(len(self)))

    # ---- construction -------------------------------------------------------------------------
    @classmethod
    def from_tracks(cls, tracks: Iterable[Track], source: str = "") -> Catalog:
        """Builds the columns; tracks with the same id must already be merged (see sources.merge_tracks)."""
        rows = sorted(tracks, key=lambda t: t.id)
        names: dict[str, str] = {}
        for t in rows:
            for a in t.artists:
                names.setdefault(a.casefold(), a)
        artist_keys = sorted(names)
        artist_id = {k: i for i, k in enumerate(artist_keys)}
        genre_names = sorted({g for t in rows for g in t.genres}, key=genre_sort_key)
        genre_id = {g: i for i, g in enumerate(genre_names)}
        language_names = [""] + sorted({t.language for t in rows if t.language})
        lang_id = {n: i for i, n in enumerate(language_names)}
        if len(language_names) > 255:
            raise CatalogError("more than 255 languages in one catalog")
        return cls(
            ids=np.array([t.id.encode("ascii") for t in rows], dtype="S22"),
            titles=StringColumn.of(t.title for t in rows),
            albums=StringColumn.of(t.album for t in rows),
            artists=Ragged.of([[artist_id[a.casefold()] for a in _unique(t.artists)] for t in rows], "<u4"),
            artist_names=StringColumn.of(names[k] for k in artist_keys),
            genres=Ragged.of([sorted(genre_id[g] for g in set(t.genres)) for t in rows], "<u2"),
            genre_names=genre_names,
            language=np.array([lang_id[t.language] for t in rows], dtype=np.uint8),
            language_names=language_names,
            year=np.array([t.year for t in rows], dtype=np.int16),
            popularity=np.array([t.popularity for t in rows], dtype=np.int8),
            explicit=np.array([-1 if t.explicit is None else int(t.explicit) for t in rows], dtype=np.int8),
            features=np.array([[getattr(t, f) for f in FEATURES] for t in rows], dtype=np.float32).reshape(-1, 4),
            tempo=np.array([t.tempo for t in rows], dtype=np.float32),
            source=source,
        )

    # ---- file format --------------------------------------------------------------------------
    def _arrays(self) -> list[tuple[str, np.ndarray, str]]:
        return [
            ("ids", self.ids, ""), ("titles.offsets", _lengths(self.titles.offsets), "lengths"),
            ("titles.bytes", np.frombuffer(self.titles.blob, np.uint8), ""),
            ("albums.offsets", _lengths(self.albums.offsets), "lengths"),
            ("albums.bytes", np.frombuffer(self.albums.blob, np.uint8), ""),
            ("artists.ptr", _lengths(self.artists.ptr), "lengths"), ("artists.ids", self.artists.ids.astype("<u4"), ""),
            ("artist_names.offsets", _lengths(self.artist_names.offsets), "lengths"),
            ("artist_names.bytes", np.frombuffer(self.artist_names.blob, np.uint8), ""),
            ("genres.ptr", _lengths(self.genre_ids.ptr), "lengths"),
            ("genres.ids", self.genre_ids.ids.astype("<u2"), ""),
            ("language", self.language, ""), ("year", self.year.astype("<i2"), ""),
            ("popularity", self.popularity, ""), ("explicit", self.explicit, ""),
            ("features", np.ascontiguousarray(self.features.astype("<f4").T).reshape(-1), "columns"),
            ("tempo", self.tempo.astype("<f4"), ""),
        ]

    def to_bytes(self, compress: bool = True) -> bytes:
        arrays = self._arrays()
        header = {
            "format": FORMAT, "version": VERSION, "count": len(self),
            "vocab": {"genre": list(self.genre_names), "language": list(self.language_names)},
            "arrays": [[name, a.dtype.str, int(a.size), enc] for name, a, enc in arrays],
        }
        head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
        raw = b"".join([MAGIC, struct.pack("<I", len(head)), head] + [a.tobytes() for _, a, _ in arrays])
        if not compress:
            return raw
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
            gz.write(raw)
        return out.getvalue()

    def save(self, path: Path, compress: bool = True) -> None:
        """Writes atomically (a temp file renamed over the target), so a crash never leaves half a catalog."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(self.to_bytes(compress))
        os.replace(tmp, path)

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "") -> Catalog:
        if data[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                raise CatalogError(f"{source or 'catalog'}: damaged compressed data ({exc})") from None
        if data[:len(MAGIC)] != MAGIC:
            raise CatalogError(f"{source or 'catalog'} is not an EmoTune catalog file")
        try:
            (hlen,) = struct.unpack_from("<I", data, len(MAGIC))
            pos = len(MAGIC) + 4
            header = json.loads(data[pos:pos + hlen])
            pos += hlen
            if header.get("format") != FORMAT or header.get("version", 0) > VERSION:
                raise CatalogError(f"{source or 'catalog'}: format {header.get('version')} is newer than this EmoTune")
            arr: dict[str, np.ndarray] = {}
            n = header["count"]
            for name, dtype, size, *encoding in header["arrays"]:
                dt = np.dtype(dtype)
                arr[name] = _decode(np.frombuffer(data, dtype=dt, count=size, offset=pos), encoding, n)
                pos += dt.itemsize * size
            _check_layout(arr, header, n)
            return cls(
                ids=arr["ids"], titles=StringColumn(arr["titles.bytes"].tobytes(), arr["titles.offsets"]),
                albums=StringColumn(arr["albums.bytes"].tobytes(), arr["albums.offsets"]),
                artists=Ragged(arr["artists.ptr"], arr["artists.ids"]),
                artist_names=StringColumn(arr["artist_names.bytes"].tobytes(), arr["artist_names.offsets"]),
                genres=Ragged(arr["genres.ptr"], arr["genres.ids"]), genre_names=header["vocab"]["genre"],
                language=arr["language"], language_names=header["vocab"]["language"], year=arr["year"],
                popularity=arr["popularity"], explicit=arr["explicit"], features=arr["features"].reshape(n, 4),
                tempo=arr["tempo"], source=source,
            )
        except (KeyError, ValueError, TypeError, IndexError, struct.error) as exc:
            if isinstance(exc, CatalogError):
                raise
            raise CatalogError(f"{source or 'catalog'} is damaged ({exc}); rebuild or re-import it") from None

    @classmethod
    def load(cls, path: Path) -> Catalog:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CatalogError(f"cannot read the catalog {path}: {exc.strerror or exc}") from None
        return cls.from_bytes(data, source=str(path))


def _check_layout(arr: dict[str, np.ndarray], header: dict, n: int) -> None:
    """ValueError unless the arrays fit together (a damaged file can decode to arrays that do not, and would
    then fail much later, in a query): n entries per track, offsets and pointers that end where their data
    ends, ids inside their vocabularies, text that is UTF-8."""
    for name in ("ids", "language", "year", "popularity", "explicit", "tempo"):
        if len(arr[name]) != n:
            raise ValueError(f"{name} has {len(arr[name])} entries for {n} tracks")
    if arr["features"].size != 4 * n:
        raise ValueError("features do not match the track count")
    for column in ("titles", "albums", "artist_names"):
        offsets, blob = arr[f"{column}.offsets"], arr[f"{column}.bytes"]
        if column != "artist_names" and len(offsets) != n + 1:
            raise ValueError(f"{column} has {len(offsets) - 1} entries for {n} tracks")
        if len(offsets) == 0 or offsets[-1] != len(blob):
            raise ValueError(f"{column} offsets do not end at its text")
        blob.tobytes().decode("utf-8")
        starts = offsets[:-1][offsets[:-1] < len(blob)]
        if len(starts) and ((blob.view(np.uint8)[starts] & 0xC0) == 0x80).any():
            raise ValueError(f"{column} offsets cut a character in two")
    if arr["ids"].dtype != np.dtype("S22") or (np.frombuffer(arr["ids"].tobytes(), np.uint8) >= 128).any():
        raise ValueError("track ids that are not Spotify ids")
    for names in (header["vocab"]["genre"], header["vocab"]["language"]):
        if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
            raise ValueError("its vocabulary is not a list of names")
    artist_count, genre_count = len(arr["artist_names.offsets"]) - 1, len(header["vocab"]["genre"])
    for ragged, vocab in (("artists", artist_count), ("genres", genre_count)):
        ptr, ids = arr[f"{ragged}.ptr"], arr[f"{ragged}.ids"]
        if len(ptr) != n + 1 or ptr[-1] != len(ids) or (len(ids) and int(ids.max()) >= vocab):
            raise ValueError(f"{ragged} do not fit the tracks or their names")
    if n and int(arr["language"].max()) >= len(header["vocab"]["language"]):
        raise ValueError("a language code outside the catalog's languages")


def _lengths(offsets: np.ndarray) -> np.ndarray:
    """Running offsets (n+1, from 0) as row lengths in the smallest unsigned type that holds them."""
    lengths = np.diff(np.asarray(offsets, dtype=np.int64))
    top = int(lengths.max()) if len(lengths) else 0
    return lengths.astype("<u1" if top < 2**8 else "<u2" if top < 2**16 else "<u4")


def _decode(a: np.ndarray, encoding: list[str], n: int) -> np.ndarray:
    """An array as the Catalog holds it, from how the file stores it (see the module docstring)."""
    kind = encoding[0] if encoding else ""
    if kind == "lengths":
        out = np.zeros(len(a) + 1, dtype=np.int64)
        np.cumsum(a, out=out[1:])
        return out
    if kind == "columns":
        return a if n == 0 else np.ascontiguousarray(a.reshape(-1, n).T).reshape(-1)
    if kind:
        raise ValueError(f"unknown array encoding {kind!r}")
    return a


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for x in items:
        if x.casefold() not in seen:
            seen.add(x.casefold())
            out.append(x)
    return out
