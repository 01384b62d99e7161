"""The ``puzzlelib`` command line (``puzzlelib restore``, ``puzzlelib predict``); see :mod:`PuzzleLib.Cli.main`."""
