"""One small restore run shared by the CLI tests (each run draws a figure, which takes a second)."""
import json
import os

import pytest

from PuzzleLib.Cli.main import main

SMALL = ["--points", "96", "--neurons", "12", "--epochs", "4", "-q"]


@pytest.fixture(scope="session")
def smallRun(tmp_path_factory):
    """(status, out folder, metrics) of ``puzzlelib restore "2*sin(x)+5"`` on a small net."""
    out = str(tmp_path_factory.mktemp("small") / "out")
    status = main(["restore", "2*sin(x)+5", *SMALL, "--out", out])
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    return status, out, metrics
