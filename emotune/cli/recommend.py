"""`emotune recommend`: tracks for a mood from the offline catalog, with the reason for each."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emotune.core.emotions import EMOTIONS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recommend", help="tracks for a mood from the offline catalog",
                       description="Recommend tracks for a mood from the offline catalog (no network needed).")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--mood", choices=EMOTIONS, metavar="EMOTION", help=f"one of {', '.join(EMOTIONS)}")
    src.add_argument("--snapshot", type=Path, metavar="FILE",
                     help="a mood snapshot or mood history JSON (the latest snapshot is used)")
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


def run(args: argparse.Namespace) -> int:
    from emotune.appdirs import AppDirs
    from emotune.core.mood import MoodSnapshot
    from emotune.music.catalog import CatalogError
    from emotune.music.library import load_catalog
    from emotune.music.links import track_url
    from emotune.music.recommender import RecommendationRequest, Recommender

    if args.n < 1:
        print("emotune recommend: -n must be at least 1", file=sys.stderr)
        return 2
    try:
        mood = MoodSnapshot.manual_mood(args.mood) if args.mood else _snapshot(args.snapshot)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"emotune recommend: cannot read the snapshot {args.snapshot}: {exc}", file=sys.stderr)
        return 2
    dirs = AppDirs.default()
    try:
        catalog = load_catalog(dirs, args.catalog)
    except CatalogError as exc:
        print(f"emotune recommend: {exc}", file=sys.stderr)
        return 2
    request = RecommendationRequest(
        mood=mood, mode=args.mode, n=args.n, genres=tuple(g.lower() for g in args.genre),
        languages=tuple(lang.lower() for lang in args.language), allow_explicit=not args.no_explicit,
        feedback=None if args.no_journal else _journal_boosts(dirs, mood.dominant),
    )
    result = Recommender(catalog).recommend(request)
    if args.json:
        print(json.dumps({"mood": mood.to_json(), "mode": args.mode, "target": result.target.points[0],
                          "notices": list(result.notices),
                          "tracks": [r.to_json() | {"url": track_url(r.track.id)} for r in result.items]},
                         ensure_ascii=False, indent=1))
        return 0
    print(f"Mood: {result.target.mood_words} ({args.mode}); {len(catalog)} tracks in the catalog")
    for note in result.notices:
        print(f"note: {note}")
    for r in result.items:
        t = r.track
        year = f", {t.year}" if t.year else ""
        print(f"{r.position + 1:2d}. {t.title} — {t.artist_text}{year}")
        print(f"    {r.reason}")
        print(f"    {track_url(t.id)}")
    return 0
