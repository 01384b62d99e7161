"""The workbench behind ``puzzlelib restore``: one engine, several faces.

- :class:`Problem` (problem.py): a formula or a CSV file -> inputs, target, train/validation rows.
- :class:`Settings`, :class:`Run`, :class:`Event` (engine.py): train epoch by epoch, tell listeners.
- metrics.py: errors and relative figures; figures.py: restore.png; files.py: the files, atomically.
"""
from PuzzleLib.Workbench.engine import Event, Run, Settings
from PuzzleLib.Workbench.problem import Problem

__all__ = ["Event", "Problem", "Run", "Settings"]
