"""Where catalogs live and how they are made: the shipped asset, the user's imports, build and import.

The shipped catalog is read-only (emotune.resources); what a user imports goes into their own catalog in
AppDirs.data and is merged over the shipped one when loaded. An import that fails changes nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from emotune.appdirs import AppDirs
from emotune.music.catalog import SHIPPED_NAME, Catalog, CatalogError
from emotune.music.catalog_build.consensus import ConsensusReport, apply_consensus
from emotune.music.catalog_build.merge import merge_catalogs
from emotune.music.catalog_build.sources import ReadReport, merge_tracks, read_csv
from emotune.music.songs import SongMerge, merge_songs
from emotune.music.track import Track
from emotune.resources import asset_path

log = logging.getLogger(__name__)

USER_CATALOG = "user-catalog.emocat"


def shipped_catalog_path() -> Path:
    return asset_path(SHIPPED_NAME)


def user_catalog_path(dirs: AppDirs) -> Path:
    return dirs.data / USER_CATALOG


@dataclass(frozen=True)
class BuildReport:
    """What a build or import did, for the command line and the GUI's status line."""

    reports: tuple[ReadReport, ...]
    tracks: int            # tracks in the result
    added: int = 0         # new ids (import only)
    updated: int = 0       # ids that were already in the user catalog (import only)
    nameless: int = 0      # ids dropped because no row gave them a title or an artist
    ids: int = 0           # distinct named ids before rows of one song were merged (build only)
    songs: tuple[SongMerge, ...] = field(default=(), repr=False)      # the merges of rows of one song (build only)
    consensus: ConsensusReport | None = field(default=None, repr=False)

    def lines(self) -> list[str]:
        out = [r.summary() for r in self.reports]
        rows = sum(r.rows for r in self.reports)
        if self.nameless:
            out.append(f"{self.nameless} tracks dropped: no row gives them a title or an artist (e.g. `NA`)")
        if self.songs:
            extra = sum(len(m.dropped) for m in self.songs)
            out.append(f"{self.ids} distinct ids: {extra} more rows of {len(self.songs)} songs merged into them "
                       "(one recording: same title, artist and length)")
        if self.consensus is not None:
            out += self.consensus.lines()
        out.append(f"{rows} rows → {self.tracks} tracks")
        return out


def named(tracks: Iterable[Track]) -> tuple[list[Track], int]:
    """The merged tracks that have a name, and how many had none (nobody could recognise one in a list)."""
    every = list(tracks)
    kept = [t for t in every if t.title or t.artists]
    return kept, len(every) - len(kept)


def build_catalog(sources: Sequence[Path], out: Path | None = None,
                  compress: bool = False) -> tuple[Catalog, BuildReport]:
    """The catalog made from CSV files or folders of them (later sources fill what earlier ones lack): rows of
    one id merged, rows of one song merged (emotune.music.songs), genres by artist consensus
    (emotune.music.catalog_build.consensus); written to `out` if given. Deterministic: the same files give the
    same bytes.
    Written uncompressed by default: inflating the shipped catalog (3.3 MB then) took 25-60 ms on this shared
    machine, reading it raw 2-6 ms (git stores the file deflated anyway); `compress` gzips it for sending it
    elsewhere."""
    reports, tracks = [], []
    for src in sources:
        report = ReadReport(Path(src).name)
        tracks += read_csv(Path(src), report)
        reports.append(report)
    kept, nameless = named(merge_tracks(tracks))
    songs, merges = merge_songs(kept)
    tagged, consensus = apply_consensus(songs, tracks)
    catalog = Catalog.from_tracks(tagged, source=", ".join(Path(s).name for s in sources))
    if out is not None:
        catalog.save(out, compress=compress)
    return catalog, BuildReport(tuple(reports), len(catalog), nameless=nameless, ids=len(kept),
                                songs=tuple(merges), consensus=consensus)


def load_user_catalog(dirs: AppDirs) -> Catalog | None:
    path = user_catalog_path(dirs)
    return Catalog.load(path) if path.exists() else None


def import_csv(paths: Sequence[Path], dirs: AppDirs) -> BuildReport:
    """Merges CSV files into the user's catalog. Every file is read before anything is written, so a file
    that cannot be used (CatalogError, naming the missing column) leaves the existing catalog untouched."""
    reports, new = [], []
    for path in paths:
        report = ReadReport(Path(path).name)
        new += read_csv(Path(path), report)
        reports.append(report)
    if not new:
        raise CatalogError(f"no usable tracks in {', '.join(str(p) for p in paths)} "
                           "(every row lacked a valid track id or valence/energy)")
    existing = load_user_catalog(dirs)
    old_tracks = list(existing.tracks()) if existing is not None else []
    old_ids = {t.id for t in old_tracks}
    new_ids = {t.id for t in new}
    # new rows first so their features win; old rows fill what the new file lacks
    kept, nameless = named(merge_tracks(new + old_tracks))
    merged = Catalog.from_tracks(kept, source="user")
    dirs.data.mkdir(parents=True, exist_ok=True)
    merged.save(user_catalog_path(dirs), compress=False)
    log.info("imported %d tracks into %s", len(new_ids), user_catalog_path(dirs))
    kept_ids = {t.id for t in kept}
    return BuildReport(tuple(reports), len(merged), added=len((new_ids - old_ids) & kept_ids),
                       updated=len(new_ids & old_ids), nameless=nameless)


def load_catalog(dirs: AppDirs | None = None, path: Path | None = None) -> Catalog:
    """The catalog the app uses: `path` if given, else the shipped one with the user's imports merged over it.
    A damaged user catalog is logged and skipped, so the shipped catalog still works."""
    if path is not None:
        return Catalog.load(path)
    shipped = shipped_catalog_path()
    catalogs = []
    if shipped.exists():
        catalogs.append(Catalog.load(shipped))
    if dirs is not None:
        try:
            user = load_user_catalog(dirs)
        except CatalogError as exc:
            log.warning("ignoring the user catalog: %s", exc)
            user = None
        if user is not None and len(user):
            catalogs.append(user)
    if not catalogs:
        raise CatalogError(f"no music catalog found at {shipped}; reinstall EmoTune or import a CSV with "
                           "`emotune catalog import FILE.csv`")
    return merge_catalogs(catalogs)
