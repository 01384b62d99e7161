"""``python -m PuzzleLib restore ...``: the same as the ``puzzlelib`` command."""
import sys

from PuzzleLib.Cli.main import main

if __name__ == "__main__":
    sys.exit(main())
