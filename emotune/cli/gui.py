"""`emotune gui`: the desktop window, optionally on a file, or its offscreen self-test."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gui", help="open the EmoTune window",
        description="Open the EmoTune window. --self-test runs the whole pipeline offscreen on the bundled "
                    "sample and prints one line of JSON (exit 0 when every part works).")
    parser.add_argument("--source", metavar="CAMERA_INDEX|PATH",
                        help="camera index, video file, image or folder of images to start on")
    parser.add_argument("--self-test", action="store_true",
                        help="run offscreen on the bundled sample, print a JSON summary and exit")
    parser.add_argument("--timeout", type=float, default=180.0, help=argparse.SUPPRESS)
    parser.add_argument("--screenshot", metavar="PNG", help=argparse.SUPPRESS)  # with --self-test: save the window
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.self_test:
        from emotune.gui.self_test import run_self_test

        return run_self_test(source=args.source, timeout_s=args.timeout, screenshot=args.screenshot)
    from emotune.gui.app import run_gui

    return run_gui(args.source, verbose=getattr(args, "verbose", False))
