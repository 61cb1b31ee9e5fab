"""One catalog from several (the shipped one and the user's imports), column by column.

Why columns: the app merges the user's catalog over the shipped one at every start, and a personal library
can hold a million tracks; going through Track objects took about 28 µs a track (half a minute at a
million). Here only ids found in more than one catalog become Track objects (merged field by field, the
later catalog first, so its values win and the earlier one fills its gaps); every other row is copied as
arrays with its artist, genre and language ids renumbered into the merged vocabularies.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from emotune.music.catalog import Catalog, Ragged, StringColumn
from emotune.music.catalog_build.sources import merge_tracks
from emotune.music.genres import sort_key as genre_sort_key


def merge_catalogs(catalogs: Sequence[Catalog]) -> Catalog:
    """The union of `catalogs`; on an id present in several, a later catalog wins (its gaps filled from
    the earlier ones). Deterministic: the same inputs give the same catalog."""
    catalogs = [c for c in catalogs if len(c)] or list(catalogs[:1])
    if len(catalogs) == 1:
        return catalogs[0]
    all_ids = np.concatenate([c.ids for c in catalogs])
    uniq, counts = np.unique(all_ids, return_counts=True)
    shared = uniq[counts > 1]
    parts: list[tuple[Catalog, np.ndarray]] = []
    for c in catalogs:
        rows = np.flatnonzero(~np.isin(c.ids, shared)) if len(shared) else np.arange(len(c))
        parts.append((c, rows))
    if len(shared):
        keys = [s.decode("ascii") for s in shared]
        tracks = [c.track(int(i)) for c in reversed(catalogs) for i in c.index_of(keys)]
        both = Catalog.from_tracks(merge_tracks(tracks))
        parts.append((both, np.arange(len(both))))
    return _concat(parts, source=" + ".join(c.source for c in catalogs))


def _concat(parts: list[tuple[Catalog, np.ndarray]], source: str) -> Catalog:
    """Rows `rows` of each catalog (disjoint ids), sorted by id, vocabularies merged."""
    artist_map, artist_names = _artist_vocab(parts)
    genre_names = sorted({g for c, _ in parts for g in c.genre_names}, key=genre_sort_key)
    language_names = [""] + sorted({n for c, _ in parts for n in c.language_names if n})
    ids, artists, genres, lang, titles, albums = [], [], [], [], [], []
    for (c, rows), amap in zip(parts, artist_map):
        gmap = np.array([genre_names.index(g) for g in c.genre_names] or [0], dtype=np.uint16)
        lmap = np.array([language_names.index(n) for n in c.language_names] or [0], dtype=np.uint8)
        ids.append(c.ids[rows])
        a_ptr, a_ids = _take_ragged(c.artists, rows)
        artists.append((a_ptr, amap[a_ids.astype(np.int64)].astype("<u4")))
        g_ptr, g_ids = _take_ragged(c.genre_ids, rows)
        genres.append((g_ptr, gmap[g_ids.astype(np.int64)]))
        lang.append(lmap[c.language[rows]])
        titles.append(_take_strings(c.titles, rows))
        albums.append(_take_strings(c.albums, rows))
    order = np.argsort(np.concatenate(ids), kind="stable")

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(c, name)[rows] for c, rows in parts])[order]

    merged_titles = _take_strings(_join_strings(titles), order)
    merged_albums = _take_strings(_join_strings(albums), order)
    return Catalog(
        ids=np.concatenate(ids)[order], titles=merged_titles, albums=merged_albums,
        artists=Ragged(*_take_ragged(_join_ragged(artists), order)), artist_names=artist_names,
        genres=Ragged(*_take_ragged(_join_ragged(genres), order)), genre_names=genre_names,
        language=np.concatenate(lang)[order], language_names=language_names, year=cat("year"),
        popularity=cat("popularity"), explicit=cat("explicit"), features=cat("features"), tempo=cat("tempo"),
        source=source)


def _artist_vocab(parts: list[tuple[Catalog, np.ndarray]]) -> tuple[list[np.ndarray], StringColumn]:
    """Artist names of all parts, sorted by casefolded name (the later part's spelling wins), and per part
    an array old id → new id."""
    names: dict[str, str] = {}
    per_part: list[list[str]] = []
    for c, _ in parts:
        keys = []
        for i in range(len(c.artist_names)):
            name = c.artist_names[i]
            keys.append(name.casefold())
            names[name.casefold()] = name
        per_part.append(keys)
    ordered = sorted(names)
    index = {k: i for i, k in enumerate(ordered)}
    maps = [np.array([index[k] for k in keys] or [0], dtype=np.int64) for keys in per_part]
    return maps, StringColumn.of(names[k] for k in ordered)


def _gather(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR offsets `ptr`: the new offsets of `rows` and the flat indices of their entries."""
    lengths = (ptr[1:] - ptr[:-1])[rows]
    new_ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_ptr[1:])
    flat = np.repeat(ptr[:-1][rows] - new_ptr[:-1], lengths) + np.arange(int(new_ptr[-1]), dtype=np.int64)
    return new_ptr, flat


def _take_ragged(r: Ragged, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ptr, flat = _gather(np.asarray(r.ptr, dtype=np.int64), rows)
    return ptr, r.ids[flat]


def _take_strings(s: StringColumn, rows: np.ndarray) -> StringColumn:
    offsets, flat = _gather(np.asarray(s.offsets, dtype=np.int64), rows)
    return StringColumn(np.frombuffer(s.blob, dtype=np.uint8)[flat].tobytes(), offsets)


def _join_ragged(items: list[tuple[np.ndarray, np.ndarray]]) -> Ragged:
    ptrs, flat, base = [np.zeros(1, dtype=np.int64)], [], 0
    for ptr, ids in items:
        ptrs.append(ptr[1:] + base)
        flat.append(ids)
        base += int(ptr[-1])
    return Ragged(np.concatenate(ptrs), np.concatenate(flat))


def _join_strings(items: list[StringColumn]) -> StringColumn:
    offsets, base = [np.zeros(1, dtype=np.int64)], 0
    for s in items:
        offsets.append(np.asarray(s.offsets[1:], dtype=np.int64) + base)
        base += len(s.blob)
    return StringColumn(b"".join(s.blob for s in items), np.concatenate(offsets))
