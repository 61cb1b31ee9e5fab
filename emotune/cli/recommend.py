"""`emotune recommend`: tracks for a mood from the offline catalog, with the reason for each. With
`--from-analysis` it gives the list the window shows for that analysis (emotune.music.lists.listing: one function
for both)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emotune.core.emotions import EMOTIONS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recommend", help="tracks for a mood from the offline catalog",
                       description="Recommend tracks for a mood from the offline catalog (no network needed).")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--mood", choices=EMOTIONS, metavar="EMOTION", help=f"one of {', '.join(EMOTIONS)}")
    src.add_argument("--snapshot", type=Path, metavar="FILE",
                     help="a mood snapshot or mood history JSON (the latest snapshot is used)")
    p.add_argument("--from-analysis", metavar="FILE|-",
                   help="the JSON of `emotune analyze --json` (- reads standard input): the list the window shows "
                        "for that analysis; give the history it read with --snapshot for the exact mood")
    p.add_argument("--mode", choices=("match", "lift"), default="match",
                   help="match the mood, or lift it step by step (default match)")
    p.add_argument("--genre", action="append", default=[], metavar="G", help="keep to this genre (repeatable)")
    p.add_argument("--language", action="append", default=[], metavar="L",
                   help="keep to this language code, e.g. en, es (repeatable)")
    p.add_argument("--no-explicit", action="store_true", help="leave out tracks marked explicit")
    p.add_argument("--catalog", type=Path, metavar="FILE", help="a catalog file instead of the default one")
    p.add_argument("-n", type=int, default=10, metavar="N", help="how many tracks (default 10)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--no-journal", action="store_true",
                   help="ignore your likes and skips in the mood journal (used by default when it exists)")
    p.set_defaults(func=run)


def _snapshot(path: Path):
    from emotune.core.history import MoodHistory

    history = MoodHistory.load(path)
    if history.latest is None:
        raise ValueError(f"{path} holds no mood snapshot")
    return history.latest


def _journal_boosts(dirs, mood: str):
    """The window's likes and skips for this mood, as the window's own lists use them. An absent journal is
    not created (a CLI query must not start one); an unreadable one is a warning, not a failure."""
    from emotune.journal import JournalError, JournalStore
    from emotune.journal.store import FILENAME

    if not (Path(dirs.data) / FILENAME).is_file():
        return None
    try:
        with JournalStore.open(dirs) as store:
            return store.boosts_for(mood)
    except JournalError as exc:
        print(f"emotune recommend: your likes and skips are not used: {exc.user_text}", file=sys.stderr)
        return None


def _analysis(source: str):
    """AnalysisHints from the JSON in `source` (a path or "-"); ValueError with a readable reason."""
    from emotune.music.lists.listing import AnalysisHints

    where = "standard input" if source == "-" else source
    try:
        data = json.loads(sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {where}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{where} is not JSON ({exc})") from None
    if not isinstance(data, dict) or "mood" not in data:
        raise ValueError(f"{where} is not the JSON of `emotune analyze --json` (no \"mood\")")
    return AnalysisHints.of(data)


def _mood(args: argparse.Namespace, hints):
    from emotune.core.mood import MoodSnapshot

    if args.mood:
        return MoodSnapshot.manual_mood(args.mood)
    if args.snapshot:
        try:
            return _snapshot(args.snapshot)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cannot read the snapshot {args.snapshot}: {exc}") from None
    mood = hints.mood_snapshot()
    if mood is None:
        raise ValueError(f"the analysis' mood {hints.mood!r} is not one EmoTune knows")
    return mood


def run(args: argparse.Namespace) -> int:
    from emotune.appdirs import AppDirs
    from emotune.music.catalog import CatalogError
    from emotune.music.library import load_catalog
    from emotune.music.links import track_url
    from emotune.music.lists.listing import AnalysisHints, ListSettings, list_for_analysis
    from emotune.music.lists.recommender import Recommender

    if args.n < 1:
        print("emotune recommend: -n must be at least 1", file=sys.stderr)
        return 2
    if not (args.mood or args.snapshot or args.from_analysis):
        print("emotune recommend: give --mood, --snapshot or --from-analysis", file=sys.stderr)
        return 2
    try:
        hints = _analysis(args.from_analysis) if args.from_analysis else AnalysisHints()
        mood = _mood(args, hints)
    except ValueError as exc:
        print(f"emotune recommend: {exc}", file=sys.stderr)
        return 2
    dirs = AppDirs.default()
    try:
        catalog = load_catalog(dirs, args.catalog)
    except CatalogError as exc:
        print(f"emotune recommend: {exc}", file=sys.stderr)
        return 2
    settings = ListSettings(mode=args.mode, n=args.n, genres=tuple(args.genre), languages=tuple(args.language),
                            no_explicit=args.no_explicit)
    feedback = None if args.no_journal else _journal_boosts(dirs, mood.dominant)
    result = list_for_analysis(Recommender(catalog), mood, hints, settings, feedback)
    if args.json:
        print(json.dumps({"mood": mood.to_json(), "mode": args.mode, "target": result.target.points[0],
                          "notices": list(result.notices),
                          "tracks": [r.to_json() | {"url": track_url(r.track.id)} for r in result.items]},
                         ensure_ascii=False, indent=1))
        return 0
    print(f"Mood: {result.target.mood_words} ({args.mode}); {len(catalog)} tracks in the catalog")
    for note in result.notices:
        print(f"note: {note}")    # the first is the sentence the window shows above the list
    for r in result.items:
        t = r.track
        year = f", {t.year}" if t.year else ""
        print(f"{r.position + 1:2d}. {t.title} — {t.artist_text}{year}")
        print(f"    {r.reason}")
        print(f"    {track_url(t.id)}")
    return 0
