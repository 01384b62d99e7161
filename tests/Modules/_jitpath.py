"""Fixtures that run a module test on the numpy path and on the compiled kernels of
PuzzleLib/Backend/_jit.py (every array size taking them: split over threads, or in one call on the
calling thread), so that the paths are compared."""
import pytest

from PuzzleLib.Backend import _jit, gpuarray


def compiledActive():
    """Whether the compiled kernels can run here (numba installed, the CPU backend)."""
    return not gpuarray.isGPU and _jit.available()


@pytest.fixture
def compiledKernels(monkeypatch):
    """Lets arrays of every size take the compiled kernels, split over threads; True when they run
    here (on the cuda backend or without numba the modules keep their array-library path)."""
    monkeypatch.setattr(_jit, "MIN_SIZE", 0)
    monkeypatch.setattr(_jit, "SMALL_SIZE", 0)
    monkeypatch.setattr(_jit, "SPLIT_SIZE", 0)
    monkeypatch.setattr(_jit, "RELU_FORWARD_SIZE", 0)
    return compiledActive()


@pytest.fixture
def thisThreadKernels(monkeypatch):
    """Lets arrays of every size take the compiled kernels in one call on the calling thread, as
    arrays under ``SPLIT_SIZE`` elements do. True when the kernels run here."""
    monkeypatch.setattr(_jit, "MIN_SIZE", 0)
    monkeypatch.setattr(_jit, "SMALL_SIZE", 0)
    monkeypatch.setattr(_jit, "SPLIT_SIZE", float("inf"))
    monkeypatch.setattr(_jit, "RELU_FORWARD_SIZE", 0)
    return compiledActive()


@pytest.fixture
def numpyKernels(monkeypatch):
    """Keeps every array on the numpy path."""
    monkeypatch.setattr(_jit, "MIN_SIZE", float("inf"))
    monkeypatch.setattr(_jit, "SMALL_SIZE", float("inf"))
