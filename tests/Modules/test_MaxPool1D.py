import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import MaxPool1D, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._imageref import poolRef


@pytest.mark.parametrize("size,stride,pad", [(2, 2, 0), (3, 1, 1), (4, 3, 2)])
def test_forward_and_gradients(size, stride, pad):
    mod = MaxPool1D(size, stride, pad, useMask=True)
    x = np.random.randn(2, 3, 9).astype(np.float32)
    out = mod(to_gpu(x)).get()
    np.testing.assert_array_equal(out, poolRef(x, mod.size, mod.stride, mod.pad, "max"))
    np.testing.assert_array_equal(np.take_along_axis(x, mod.mask.get(), axis=2), out)
    checkModule(MaxPool1D(size, stride, pad), np.random.randn(2, 2, 8))


def test_errors():
    with pytest.raises(ModuleError, match=r"MaxPool1D.*3-d data.*\(1, 1, 4, 4\)"):
        MaxPool1D()(to_gpu(np.zeros((1, 1, 4, 4), np.float32)))
