"""runGrid: a program written for PuzzleLib 1.0's Grid runs unchanged; a failing node ends it."""
import os
import subprocess
import sys
import time

import pytest

from PuzzleLib.Errors import GridError
from PuzzleLib.Grid import runGrid
from tests.Grid.conftest import ROOT, jobEnv, needsMPI

PROGRAM = os.path.join(ROOT, "tests", "Grid", "_upstream_program.py")


def _run(*args):
    env = jobEnv()
    for name in ("PMI_RANK", "PMI_SIZE", "PMI_FD"):
        env.pop(name, None)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, PROGRAM] + list(args), cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    return proc, time.monotonic() - start


@needsMPI
def test_an_upstream_program_runs_unchanged():
    proc, _ = _run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[0:2] for line in lines if line.startswith("epoch")] == [["epoch", "0"], ["epoch", "1"],
                                                                               ["epoch", "2"]]
    errors = [float(line.split()[-1]) for line in lines if line.startswith("epoch")]
    assert errors[-1] < errors[0]
    assert "same parameters on all 2 nodes: True" in lines


@needsMPI
def test_a_failing_node_ends_runGrid_with_an_error_naming_it():
    proc, seconds = _run("--fail")
    assert proc.returncode != 0
    assert seconds < 30
    assert "GridError: runGrid: node 1 of 2 failed with RuntimeError: out of data; the job was ended" in proc.stderr


def test_runGrid_refuses_bad_arguments():
    with pytest.raises(GridError, match="size must be a positive integer, got 0"):
        runGrid(print, 0)
    with pytest.raises(GridError, match="devices must list one device per node"):
        runGrid(print, 2, devices=[0])
    with pytest.raises(GridError, match="target must be callable"):
        runGrid("train", 2)


def test_the_launcher_says_how_to_call_it(capsys):
    from PuzzleLib.Grid.__main__ import main
    assert main(["-n", "0", "train.py"]) == 2
    assert main(["train.py"]) == 2
    assert "usage: python -m PuzzleLib.Grid -n N script.py [args]" in capsys.readouterr().err
