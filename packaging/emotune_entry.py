"""Entry script of the PyInstaller bundle: the same function as the `emotune-gui` gui-script.

PyInstaller needs a file to analyse; this one only hands over to `emotune.gui_launcher.main`, so the
bundle and the virtualenv start EmoTune through exactly the same code. Logging and the standard streams
are prepared before this runs, by the runtime hook packaging/rthooks/pyi_rth_emotune.py.
"""
from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    # A frozen app that (directly or through a library) starts a process must not re-run the GUI in it.
    multiprocessing.freeze_support()
    from emotune.gui_launcher import main

    sys.exit(main())
