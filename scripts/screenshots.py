"""docs/screens/: the real window, as a new user sees it, on a video of three faces (benchmarks/sample_video.py),
after "Capture mood" (the local model's analysis and a track list) at 1600×1000, 1280×800 and the minimum size,
plus Settings and the Journal tab (the 1600×1000 one is also the README's docs/screenshot.png). Run it under
Xvfb, from the repository root:

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py
    QT_SCALE_FACTOR=2 xvfb-run -s "-screen 0 2600x1700x24" .venv/bin/python scripts/screenshots.py --scale2

Everything it writes besides the pictures (settings, journal) goes to a temporary folder.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "docs" / "screens"

from benchmarks.event_loop import run_for, wait_until  # noqa: E402 - after the path above


def settle(window, size) -> None:
    window.resize(*size)
    wait_until(lambda: (window.width(), window.height()) == tuple(size), 10)
    run_for(0.4)   # a few view frames at the new size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale2", action="store_true", help="only the default size, as window-scale2.png")
    parser.add_argument("--plain-summary", action="store_true",
                        help="the plain mood summary instead of the language model (where llama.cpp cannot run)")
    args = parser.parse_args()

    from benchmarks.sample_video import make_video
    from emotune.appdirs import AppDirs
    from emotune.gui import settings as keys
    from emotune.gui.app import build, make_qapplication
    from emotune.gui.dialogs.settings_dialog import SettingsDialog
    from emotune.gui.main_window import DEFAULT_SIZE, MINIMUM_SIZE
    from emotune.gui.settings import Settings

    app = make_qapplication(["emotune"])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = Settings.at(home / "settings.ini")
        settings.set(keys.LLM_SEED, 1)
        settings.set(keys.LLM_TIME_BUDGET_S, 300)
        analyst = None
        if args.plain_summary:
            from emotune.gui.services.interfaces import SummaryAnalyst
            analyst = SummaryAnalyst()
        parts = build(settings, dirs=AppDirs.under(home), camera_probe=None, analyst=analyst)
        window = parts.window
        window.resize(*DEFAULT_SIZE)
        window.show()
        window.start(str(make_video(home / "three_faces.avi", 120, 25)))
        wait_until(lambda: parts.session.latest is not None)
        run_for(12)   # some seconds of timeline
        done = []
        parts.session.tracks_ready.connect(done.append)
        parts.session.analysis_done.connect(done.append)
        window.controls.capture_action.trigger()
        wait_until(lambda: len(done) >= 2)
        sizes = [("scale2", DEFAULT_SIZE)] if args.scale2 else [("1600x1000", (1600, 1000)), ("1280x800", (1280, 800)),
                                                                 ("minimum", MINIMUM_SIZE)]
        for name, size in sizes:
            settle(window, size)
            window.grab().save(str(OUT / f"window-{name}.png"))
            print("wrote", OUT / f"window-{name}.png", window.size().toTuple())
            if name == "1600x1000":   # the README's picture
                window.grab().save(str(REPO / "docs" / "screenshot.png"))
        if not args.scale2:
            settle(window, (1280, 800))
            if window.journal_view is not None:
                window.tabs.setCurrentWidget(window.journal_view)
                wait_until(lambda: window.journal_view.data is not None and window.journal_view.entries.texts(), 30)
                settle(window, (1280, 800))
                window.grab().save(str(OUT / "journal.png"))
                window.tabs.setCurrentIndex(0)
            dialog = SettingsDialog(settings, window, models_folder=home / "models")
            counts = getattr(parts.session.music, "genre_counts", None)
            if counts is not None:
                dialog.show_genre_counts(counts())
            dialog.show()
            for i, name in enumerate(("general", "music", "model", "spotify")):
                dialog.tabs.setCurrentIndex(i)
                wait_until(dialog.isVisible, 5)
                run_for(0.2)
                dialog.grab().save(str(OUT / f"settings-{name}.png"))
            readme = home / "readme.txt"             # a file that is not a model: refused in the dialog
            readme.write_text("Not a model.\n")
            dialog.tabs.setCurrentIndex(2)
            dialog.set_model_path(str(readme))
            run_for(0.2)
            dialog.grab().save(str(OUT / "settings-model-refused.png"))
            dialog.reject()
        window.close()
        wait_until(lambda: parts.threads_running() == [], 120)
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
