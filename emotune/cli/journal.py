"""`emotune journal`: export the mood journal (CSV or JSON), delete part or all of it, show what it holds.

Deleting asks for confirmation when run in a terminal (skip it with --yes); scripts, with no terminal,
get what they asked for.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("journal", help="export or delete your mood journal",
                       description="Your mood journal: moods, analyses, tracks shown and your feedback, stored "
                                   "only on this computer.")
    jsub = p.add_subparsers(dest="journal_command", metavar="ACTION")
    ex = jsub.add_parser("export", help="write the journal as CSV or JSON",
                         description="Write everything the journal holds as JSON (all tables) or CSV (one row "
                                     "per entry, sorted by time).")
    ex.add_argument("--format", choices=("csv", "json"), default="json")
    ex.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    ex.add_argument("--since", metavar="DATE", type=_date, help="only entries from DATE (YYYY-MM-DD) on")
    ex.add_argument("--until", metavar="DATE", type=_date, help="only entries before DATE (YYYY-MM-DD)")
    ex.set_defaults(func=run)
    de = jsub.add_parser("delete", help="delete entries before a date, or everything",
                         description="Delete journal entries for good (they are overwritten on disk).")
    which = de.add_mutually_exclusive_group(required=True)
    which.add_argument("--before", metavar="DATE", type=_date,
                       help="delete everything recorded before DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM, local time)")
    which.add_argument("--older-than", metavar="DAYS", type=_days,
                       help="keep only the last DAYS days: delete everything older (for a retention job)")
    which.add_argument("--all", action="store_true", help="delete the whole journal")
    de.add_argument("-y", "--yes", action="store_true", help="don't ask for confirmation")
    de.set_defaults(func=run)
    info = jsub.add_parser("info", help="where the journal is and what it holds")
    info.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _date(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31") from None


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not days >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days; use e.g. 90")
    return days


def run(args: argparse.Namespace) -> int:
    from emotune.appdirs import AppDirs
    from emotune.journal import JournalError, JournalStore

    try:
        store = JournalStore.open(AppDirs.default())
    except JournalError as exc:
        print(f"emotune journal: {exc.user_text}", file=sys.stderr)
        return 2
    if store.notice:
        print(f"emotune journal: {store.notice}", file=sys.stderr)
    try:
        return {"export": _export, "delete": _delete, "info": _info}[args.journal_command](store, args)
    except JournalError as exc:
        print(f"emotune journal: {exc.user_text}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _export(store, args) -> int:
    from emotune.journal.export import EXPORTERS
    from emotune.private_files import open_private

    write = EXPORTERS[args.format]
    start = args.since.timestamp() if args.since else None
    end = args.until.timestamp() if args.until else None
    if start is not None and end is not None and end <= start:
        print("emotune journal: --until must be after --since", file=sys.stderr)
        return 2
    if not args.out or args.out == "-":
        n = write(store, sys.stdout, start, end)
    else:
        try:
            with open_private(args.out, "w", encoding="utf-8", newline="") as fh:   # 0600: it is a mood diary
                n = write(store, fh, start, end)
        except OSError as exc:
            print(f"emotune journal: can't write {args.out}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"wrote {n} journal entries to {args.out}", file=sys.stderr)
    return 0


def _delete(store, args) -> int:
    if args.all:
        what = "the whole journal"
    elif args.older_than is not None:
        what = f"every entry older than {args.older_than:g} days"
    else:
        what = f"every entry before {args.before:%Y-%m-%d %H:%M}"
    if not args.yes and sys.stdin.isatty():
        answer = input(f"Delete {what} ({store.path})? This can't be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted", file=sys.stderr)
            return 1
    if args.all:
        n = store.delete_all()
    elif args.older_than is not None:
        n = store.delete_older_than(args.older_than)
    else:
        n = store.delete_before(args.before.timestamp())
    print(f"deleted {n} journal entries ({what})")
    return 0


def _info(store, args) -> int:
    span = store.time_span()
    print(f"journal: {store.path}")
    print(f"format version: {store.schema_version}{' (read-only)' if store.read_only else ''}")
    for table, n in store.counts().items():
        print(f"{table:>13}: {n}")
    if span:
        first, last = (dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") for t in span)
        print(f"from {first} to {last}")
    return 0
