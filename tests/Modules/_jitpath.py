"""A fixture that runs a module test twice: on the numpy path and on the compiled kernels of
PuzzleLib/Backend/_jit.py (every array size taking them), so that the two are compared."""
import pytest

from PuzzleLib.Backend import _jit, gpuarray


def compiledActive():
    """Whether the compiled kernels can run here (numba installed, the CPU backend)."""
    return not gpuarray.isGPU and _jit.available()


@pytest.fixture
def compiledKernels(monkeypatch):
    """Lets arrays of every size take the compiled kernels; True when they run here (on the cuda
    backend or without numba the modules keep their array-library path)."""
    monkeypatch.setattr(_jit, "MIN_SIZE", 0)
    return compiledActive()


@pytest.fixture
def numpyKernels(monkeypatch):
    """Keeps every array on the numpy path."""
    monkeypatch.setattr(_jit, "MIN_SIZE", float("inf"))
