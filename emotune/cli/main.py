"""Entry point of the `emotune` command. Subcommands live in their own modules and import heavy
libraries (TensorFlow, llama.cpp, Qt) only when they run, so `emotune --help` is instant."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from emotune import __version__
from emotune.appdirs import AppDirs
from emotune.logging_setup import keep_library_files_in

# Module names under emotune.cli, each defining register(subparsers).
SUBCOMMAND_MODULES = ("detect", "train", "evaluate", "analyze", "catalog", "recommend", "journal", "gui")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emotune", description="EmoTune: your mood, read on your machine, turned into music."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"emotune.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"emotune.cli.{name}":
                continue  # subcommand not part of this build
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s",
    )
    keep_library_files_in(AppDirs.default().cache)  # Keras would write ~/.keras otherwise
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
