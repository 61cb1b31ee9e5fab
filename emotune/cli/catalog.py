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
                        description="Build a compact, deterministic catalog from Spotify CSV files "
                                    "(Kaggle layouts or playlist exports).")
    b.add_argument("sources", nargs="+", type=Path, metavar="SOURCE.csv")
    b.add_argument("--out", type=Path, required=True, metavar="FILE", help="catalog file to write")
    b.set_defaults(func=run)
    i = cmds.add_parser("import", help="merge a CSV into your own catalog",
                        description="Merge Spotify CSV files into your catalog (in the EmoTune data folder). "
                                    "A file that cannot be used changes nothing.")
    i.add_argument("files", nargs="+", type=Path, metavar="FILE.csv")
    i.set_defaults(func=run)
    s = cmds.add_parser("info", help="what the catalog holds: tracks, genres, languages")
    s.add_argument("--catalog", type=Path, metavar="FILE", help="a catalog file instead of the default one")
    s.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def run(args: argparse.Namespace) -> int:
    from emotune.appdirs import AppDirs
    from emotune.music.catalog import CatalogError
    from emotune.music.library import build_catalog, import_csv, load_catalog, user_catalog_path

    try:
        if args.catalog_command == "build":
            catalog, report = build_catalog(args.sources, args.out)
            for line in report.lines():
                print(line)
            size = args.out.stat().st_size
            print(f"wrote {args.out} ({size / 1024:.0f} KiB, {len(catalog.genres())} genres)")
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
    except CatalogError as exc:
        print(f"emotune catalog: {exc}", file=sys.stderr)
        return 2
    return 0
