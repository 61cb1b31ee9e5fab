"""`emotune catalog`: build the shipped catalog from Spotify CSVs, import a user's CSV, show what is loaded."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catalog", help="build, import or inspect the offline music catalog",
                       description="Build, import or inspect the offline music catalog.")
    cmds = p.add_subparsers(dest="catalog_command", metavar="ACTION")
    b = cmds.add_parser("build", help="build a compact catalog file from Spotify CSV files",
                        description="Build a compact, deterministic catalog from Spotify CSV files (Kaggle layouts "
                                    "or playlist exports) or folders of them: rows of one song become one track, "
                                    "and each track gets its artist's genres.")
    b.add_argument("sources", nargs="+", type=Path, metavar="SOURCE",
                   help="a CSV file, or a folder whose .csv files are read in name order")
    b.add_argument("--out", type=Path, required=True, metavar="FILE", help="catalog file to write")
    b.add_argument("--gzip", action="store_true",
                   help="compress the file (about half the size, but loading takes about ten times longer)")
    b.set_defaults(func=run)
    i = cmds.add_parser("import", help="merge a CSV into your own catalog",
                        description="Merge Spotify CSV files into your catalog (in the EmoTune data folder). "
                                    "A file that cannot be used changes nothing.")
    i.add_argument("files", nargs="+", type=Path, metavar="FILE.csv")
    i.set_defaults(func=run)
    s = cmds.add_parser("info", help="what the catalog holds: tracks, genres, languages, per family and mood")
    s.add_argument("--catalog", type=Path, metavar="FILE", help="a catalog file instead of the default one")
    s.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def coverage_lines(catalog) -> list[str]:
    """Tracks per genre family and per mood region (near each emotion's valence/energy target), then each
    family's subgenres: what a genre filter can find for a mood before it must be relaxed."""
    from emotune.core.emotions import EMOTIONS
    from emotune.music.lists.coverage import REGION_RADIUS, family_rows

    rows = family_rows(catalog)
    width = max(len(r.family) for r in rows) + 2
    cols = [max(len(e), 6) + 2 for e in EMOTIONS]
    lines = ["", f"tracks per genre family and per mood region (valence and energy within {REGION_RADIUS} of the "
                 "emotion's target):", "family".ljust(width) + "tracks".rjust(8)
             + "".join(e.rjust(w) for e, w in zip(EMOTIONS, cols))]
    for r in rows:
        lines.append(r.family.ljust(width) + f"{r.tracks:,}".rjust(8)
                     + "".join(f"{n:,}".rjust(w) for n, w in zip(r.regions, cols)))
    subs = [r for r in rows if r.subgenres]
    if subs:
        lines += ["", "subgenres (a family's filter finds them all; each can be asked for by name):"]
        lines += [f"{r.family}: {', '.join(r.subgenres)}" for r in subs]
    return lines


def run(args: argparse.Namespace) -> int:
    from emotune.appdirs import AppDirs
    from emotune.music.catalog import CatalogError
    from emotune.music.library import build_catalog, import_csv, load_catalog, user_catalog_path

    try:
        if args.catalog_command == "build":
            catalog, report = build_catalog(args.sources, args.out, compress=args.gzip)
            for line in report.lines():
                print(line)
            size = args.out.stat().st_size
            print(f"wrote {args.out} ({size:,} bytes, {len(catalog.genres())} genre families)")
        elif args.catalog_command == "import":
            dirs = AppDirs.default()
            report = import_csv(args.files, dirs)
            for line in report.lines()[:-1]:
                print(line)
            print(f"added {report.added} tracks, updated {report.updated}; your catalog now holds "
                  f"{report.tracks} tracks ({user_catalog_path(dirs)})")
        else:
            catalog = load_catalog(AppDirs.default(), args.catalog)
            print(f"{len(catalog)} tracks from {catalog.source}")
            print(f"genres: {', '.join(catalog.genres()) or '(none)'}")
            print(f"languages: {', '.join(catalog.languages()) or '(none)'}")
            for line in coverage_lines(catalog):
                print(line)
    except CatalogError as exc:
        print(f"emotune catalog: {exc}", file=sys.stderr)
        return 2
    return 0
