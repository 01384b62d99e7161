"""The grid tests start jobs of two processes with mpiexec (mpi4py and the MPICH wheel, which
``make test`` installs); without mpi4py they are skipped, saying so."""
import importlib.util
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _mpiexec():
    if importlib.util.find_spec("mpi4py") is None:
        return None
    from PuzzleLib.Grid import _mpi
    try:
        return _mpi.mpiexecPath()
    except Exception:
        return None


MPIEXEC = _mpiexec()
needsMPI = pytest.mark.skipif(MPIEXEC is None, reason="mpi4py or mpiexec is not installed "
                                                      "(pip install 'puzzlelib[mpi]'; make test installs both)")


def jobEnv():
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH", "")) if p)
    return env


def runJob(scenario, folder, ranks=2, timeout=120, launcher=False):
    """``mpiexec -n ranks python -m tests.Grid._job scenario folder`` (or through ``python -m
    PuzzleLib.Grid -n ranks`` with ``launcher``): (completed process, seconds)."""
    start = time.monotonic()
    runner = [sys.executable, "-m", "PuzzleLib.Grid", "-n", str(ranks)] if launcher else [
        MPIEXEC, "-n", str(ranks), sys.executable]
    proc = subprocess.run(runner + ["-m", "tests.Grid._job", scenario, str(folder)],
                          cwd=ROOT, env=jobEnv(), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return proc, time.monotonic() - start
