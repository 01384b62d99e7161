"""Test configuration: the CPU backend unless PUZZLELIB_BACKEND says otherwise; a fixed seed."""
import os

os.environ.setdefault("PUZZLELIB_BACKEND", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _privateTempdir(tmp_path_factory):
    """tempfile.gettempdir() is this run's own folder: code that writes to a fixed name there
    (SentiNet's recipe saves its best net to "<tempdir>/<net.name>.hdf", as PuzzleLib 1.0 does)
    cannot collide with a test run in another checkout on the same machine."""
    import tempfile
    saved = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("tempdir"))
    yield
    tempfile.tempdir = saved


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(1234)
    yield


def pytest_collection_modifyitems(config, items):
    from PuzzleLib.Backend import gpuarray
    if gpuarray.isGPU:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU and the cuda backend (PUZZLELIB_BACKEND=cuda); none here")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
