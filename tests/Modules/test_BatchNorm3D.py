import numpy as np

from PuzzleLib.Backend.gpuarray import to_gpu
from tests.gradcheck import checkModule
from tests.Modules._jitpath import compiledKernels  # noqa: F401 (fixture)
from PuzzleLib.Modules import BatchNorm3D


def test_gradients_train_and_eval():
    mod = BatchNorm3D(2)
    analytic, _ = checkModule(mod, np.random.randn(2, 2, 2, 3, 2) * 2, rtol=1e-4, atol=1e-6)
    assert set(analytic) == {"input0", "scale", "bias"}
    mod.evalMode()
    checkModule(mod, np.random.randn(2, 2, 2, 2, 2), params=())


def test_running_mean():
    mod = BatchNorm3D(2)
    x = np.random.randn(2, 2, 3, 3, 3).astype(np.float32) + 4
    mod(to_gpu(x))
    np.testing.assert_allclose(mod.attrs["mean"].get().ravel(), x.mean(axis=(0, 2, 3, 4)), rtol=1e-5)


def test_compiled_path_train_gradients(compiledKernels):
    mod = BatchNorm3D(2)
    checkModule(mod, np.random.randn(*(2, 2, 4, 4, 4)) * 2 + 1, rtol=1e-4, atol=1e-6)
    assert (mod._stats64 is not None) == compiledKernels
