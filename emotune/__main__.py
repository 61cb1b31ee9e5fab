"""`python -m emotune` runs the command line."""
import sys

from emotune.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
