"""The device-array API that PuzzleLib programs use (whichever backend is selected)."""
import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import GPUArray, empty, to_gpu, zeros
from PuzzleLib.Errors import PuzzleLibError


def test_to_gpu_and_get_copy():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    dev = to_gpu(host)
    assert isinstance(dev, GPUArray)
    host[0, 0] = 9.0
    back = dev.get()
    assert type(back) is np.ndarray
    assert back[0, 0] == 0.0
    back[0, 1] = 7.0
    assert dev.get()[0, 1] == 1.0


def test_attributes_and_methods():
    dev = to_gpu(np.arange(12, dtype=np.float32).reshape(3, 4))
    assert dev.shape == (3, 4) and dev.dtype == np.float32 and dev.size == 12 and dev.nbytes == 48
    assert dev.ndim == 2
    assert dev.ravel().shape == (12,)
    assert dev.reshape(4, 3).shape == (4, 3)
    assert dev.astype(np.float64).dtype == np.float64
    c = dev.copy()
    c.fill(1.0)
    assert dev.get()[0, 0] == 0.0 and np.all(c.get() == 1.0)
    np.testing.assert_array_equal(dev[1:3].get(), np.arange(4, 12, dtype=np.float32).reshape(2, 4))


def test_arithmetic():
    a = to_gpu(np.array([1.0, 2.0, 3.0], np.float32))
    b = to_gpu(np.array([4.0, 5.0, 6.0], np.float32))
    np.testing.assert_array_equal((a + b).get(), [5, 7, 9])
    np.testing.assert_array_equal((b - a).get(), [3, 3, 3])
    np.testing.assert_array_equal((a * 2).get(), [2, 4, 6])
    np.testing.assert_array_equal((b / 2).get(), [2, 2.5, 3])
    a += 1
    a *= b
    np.testing.assert_array_equal(a.get(), [8, 15, 24])


def test_set():
    dev = zeros((2, 2), np.float32)
    assert np.all(dev.get() == 0)
    dev.set(np.ones((2, 2), np.float32))
    assert np.all(dev.get() == 1)
    # CuPy's own set() raises ValueError; the CPU backend a BackendError naming both shapes
    with pytest.raises((PuzzleLibError, ValueError)) as info:
        dev.set(np.ones(3, np.float32))
    if not gpuarray.isGPU:
        assert isinstance(info.value, PuzzleLibError)
        assert "(2, 2)" in str(info.value) and "(3,)" in str(info.value)


def test_empty_and_supported_dtypes():
    assert empty((3,), np.float32).shape == (3,)
    pairs = list(gpuarray.dtypesSupported())
    assert any(np.dtype(d) == np.float32 for d, _ in pairs)
    assert all(atol > 0 for _, atol in pairs)


def test_unknown_config_backend_is_a_config_error():
    # Config.backend = "gpu" was a raw ValueError from the enum; the environment variable's spelling
    # rules (case, spaces) now hold for Config.backend too
    import subprocess
    import sys
    code = ("from PuzzleLib import Config\n"
            "from PuzzleLib.Errors import ConfigError\n"
            "Config.backend = 'gpu'\n"
            "try:\n    import PuzzleLib.Backend.gpuarray\nexcept ConfigError as e:\n    print('ConfigError:', e)\n"
            "Config.backend = ' CPU '\n"
            "import PuzzleLib.Backend.gpuarray as g\nprint(g.backendName)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    first, second = res.stdout.splitlines()
    assert first.startswith("ConfigError: Config.backend = 'gpu' is not a backend") and "cpu, cuda" in first
    assert second == "cpu"


def test_under_mpiexec_each_local_rank_takes_its_own_cuda_device(monkeypatch):
    # MPICH's mpiexec tells each process its rank on the machine in MPI_LOCALRANKID
    import types
    from PuzzleLib import Config
    impl = types.SimpleNamespace(xp=types.SimpleNamespace(cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 4))))
    monkeypatch.delenv("PUZZLELIB_DEVICE", raising=False)
    monkeypatch.setattr(Config, "deviceIdx", 0)
    monkeypatch.setenv("MPI_LOCALRANKID", "5")
    assert gpuarray._deviceIndex(impl) == 1
    monkeypatch.setenv("PUZZLELIB_DEVICE", "2")        # the user's choice wins
    assert gpuarray._deviceIndex(impl) == 0
    monkeypatch.delenv("PUZZLELIB_DEVICE")
    monkeypatch.setattr(Config, "deviceIdx", 3, raising=False)
    assert gpuarray._deviceIndex(impl) == 3
    monkeypatch.setattr(Config, "deviceIdx", 0)
    monkeypatch.setattr(Config, "_deviceFromGrid", True, raising=False)   # runGrid(..., devices=[...]) chose
    assert gpuarray._deviceIndex(impl) == 0
    monkeypatch.setattr(Config, "_deviceFromGrid", False)
    monkeypatch.delenv("MPI_LOCALRANKID")
    assert gpuarray._deviceIndex(impl) == 0
