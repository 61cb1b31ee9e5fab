"""`emotune analyze`: the app's mood analysis from the command line, on a mood-history JSON (the format
emotune.core.history writes), through the same Analyst the window uses: local model, schema-checked
reply, one retry, deterministic fallback. The summary streams to stderr while the model writes it, so
stdout stays clean for `--json`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="analyse a mood history with the local language model",
                       description="Analyse a mood history (JSON, as EmoTune writes it) with the local language "
                                   "model and print the summary and music targets. Nothing leaves the machine.")
    p.add_argument("--history", default="-", metavar="FILE|-",
                   help="mood history JSON file, or - for standard input (default)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--model", type=Path, metavar="GGUF",
                   help="a chat GGUF model instead of the discovered one (models folders, then the default)")
    p.add_argument("--no-model", action="store_true", help="skip the language model: deterministic analysis only")
    p.add_argument("--goal", choices=("match", "lift"), default="match",
                   help="match the mood, or lift it gently (default match)")
    p.add_argument("--genre", action="append", default=[], metavar="G", help="a preferred genre (repeatable)")
    p.add_argument("--language", action="append", default=[], metavar="L", help="a preferred language (repeatable)")
    p.add_argument("--catalog", type=Path, metavar="FILE",
                   help="music catalog whose genres the model may choose (default: the shipped one)")
    p.add_argument("--hour", type=int, metavar="H", help="hour of day 0-23 (default: now)")
    p.add_argument("--seed", type=int, help="sampling seed, for repeatable output")
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="stop a slow generation after this long and use the fallback (default 30)")
    p.add_argument("--quiet", action="store_true", help="do not stream the summary or load progress to stderr")
    p.set_defaults(func=run)


def read_history(source: str):
    """The MoodSummary of the history in `source` (a path or "-"); ValueError with a readable reason."""
    from emotune.core.history import MoodHistory

    where = "standard input" if source == "-" else source
    if source == "-" and sys.stdin.isatty():
        raise ValueError("no mood history given: pass --history FILE or pipe the JSON in")
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        summary = MoodHistory.from_json(json.loads(text)).summary()
    except OSError as exc:
        raise ValueError(f"cannot read {where}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not JSON ({exc.msg} at line {exc.lineno})") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where} is not an EmoTune mood history ({exc})") from None
    if summary is None:
        raise ValueError(f"{where} holds no mood snapshot")
    return summary


def catalog_genres(path: Path | None) -> tuple[tuple[str, ...], str, object]:
    """The catalog's genre list, the check that keeps only search phrases it backs for the mood
    (music.lists.phrase_search), or (), a note and None when it cannot be read (the analysis then names none)."""
    from emotune.appdirs import AppDirs

    try:
        from emotune.music.library import load_catalog
        from emotune.music.lists.phrase_search import PhraseSearch

        catalog = load_catalog(AppDirs.default(), path)
        return tuple(catalog.genres()), "", PhraseSearch(catalog).suits
    except Exception as exc:  # noqa: BLE001 - a missing catalog must not stop the analysis
        return (), f"no catalog genres ({exc})", None


def run(args: argparse.Namespace) -> int:
    from emotune.appdirs import AppDirs
    from emotune.llm.analyst import Analyst
    from emotune.llm.values import AnalysisRequest

    try:
        summary = read_history(args.history)
        hour = dt.datetime.now().hour if args.hour is None else args.hour
        genres, note, phrase_check = catalog_genres(args.catalog)
        request = AnalysisRequest(summary, hour=hour, preferred_genres=tuple(args.genre),
                                  preferred_languages=tuple(args.language), goal=args.goal, catalog_genres=genres)
    except ValueError as exc:
        print(f"emotune analyze: {exc}", file=sys.stderr)
        return 2
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    if note:
        say(f"note: {note}")
    options = {"seed": args.seed, "prompt_cache_dir": AppDirs.default().cache / "llm", "phrase_check": phrase_check}
    if args.time_budget is not None:
        options["time_budget_s"] = args.time_budget
    if args.no_model:
        analyst = Analyst(None, unavailable_reason="--no-model was given", **options)
    elif args.model:
        analyst = Analyst.for_model(args.model, **options)
    else:
        analyst = Analyst.discover(**options)
    for skipped in analyst.notes:
        say(f"note: model {skipped}")
    if analyst.engine is not None and not analyst.load(_progress(say)):
        say("note: using the deterministic analysis instead")
    elif analyst.engine is not None:
        say("preparing the analysis prompt")
        analyst.warm_up(genres)   # restores the fixed prompt evaluated by an earlier run, or evaluates and keeps it
    typer = _Typer() if not args.quiet and sys.stderr.isatty() else None
    result = analyst.analyze(request, on_text=typer)
    if typer is not None and typer.shown:
        sys.stderr.write("\n")
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    else:
        _print(result)
    return 0


def _progress(say):
    """One line per stage (checking, loading, ready or what went wrong), not one per loaded tensor."""
    last = [""]

    def report(_fraction: float, message: str) -> None:
        if message != last[0]:
            last[0] = message
            say(message)
    return report


class _Typer:
    """Shows the summary on a terminal's stderr as the model writes it; a retry or the fallback starts a new
    line. The final result is printed to stdout either way."""

    def __init__(self) -> None:
        self.shown = ""

    def __call__(self, text: str) -> None:
        if text.startswith(self.shown):
            sys.stderr.write(text[len(self.shown):])
        else:
            sys.stderr.write("\n" + text)
        sys.stderr.flush()
        self.shown = text


def _print(result) -> None:
    kind = {"llm": "language model", "llm-retry": "language model, second try",
            "fallback": "deterministic fallback"}[result.source]
    print(result.summary)
    print(f"mood: {result.mood}   target valence {result.target_valence:.2f}, energy {result.target_energy:.2f}")
    if result.search_phrases:
        print(f"search: {'; '.join(result.search_phrases)}")
    if result.genres:
        print(f"genres: {', '.join(result.genres)}")
    model = f" ({result.model})" if result.model and result.source != "fallback" else ""
    why = f": {result.reason}" if result.reason else ""
    print(f"made by: {kind}{model}{why}; {result.elapsed_s:.1f} s")
