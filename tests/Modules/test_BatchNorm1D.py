import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import BatchNorm1D, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._jitpath import compiledKernels  # noqa: F401 (fixture)


@pytest.mark.parametrize("shape", [(3, 2, 4), (2, 3, 1)])
def test_gradients_train_and_eval(shape):
    mod = BatchNorm1D(shape[1])
    analytic, _ = checkModule(mod, np.random.randn(*shape) * 2, rtol=1e-4, atol=1e-6)
    assert set(analytic) == {"input0", "scale", "bias"}
    mod.evalMode()
    checkModule(mod, np.random.randn(*shape), params=())
    assert mod.attrs["mean"].shape == (1, shape[1], 1)


def test_errors():
    with pytest.raises(ModuleError, match=r"BatchNorm1D.*3-d data \(N, 2, L\).*\(4, 2\)"):
        BatchNorm1D(2)(to_gpu(np.zeros((4, 2), np.float32)))


def test_compiled_path_train_gradients(compiledKernels):
    mod = BatchNorm1D(2)
    checkModule(mod, np.random.randn(*(3, 2, 64)) * 2 + 1, rtol=1e-4, atol=1e-6)
    assert (mod._stats64 is not None) == compiledKernels
