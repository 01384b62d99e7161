"""``puzzlelib serve``: the workbench as a live web page.

The page and the command line share one engine (:mod:`PuzzleLib.Workbench`): a run is a
Problem and Settings trained by :class:`~PuzzleLib.Workbench.engine.Run`, its files written by
:mod:`PuzzleLib.Workbench.files`; the page only listens to the run's events instead of a progress
bar. Needs the ``web`` extra (``pip install 'puzzlelib[web]'``: Starlette and uvicorn); the page's
scripts and styles ship inside this package, so it works offline.
"""
