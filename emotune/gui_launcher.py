"""`emotune-gui`: starts the desktop window (the same function the PyInstaller bundle runs)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from emotune.cli.main import main as cli_main

    return cli_main(["gui", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
