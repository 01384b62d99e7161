import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import MaxPool3D, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._imageref import poolRef


@pytest.mark.parametrize("size,stride,pad", [(2, 2, 0), ((2, 3, 2), (1, 2, 1), (1, 1, 0))])
def test_forward_and_gradients(size, stride, pad):
    mod = MaxPool3D(size, stride, pad)
    x = np.random.randn(2, 2, 4, 5, 4).astype(np.float32)
    np.testing.assert_array_equal(mod(to_gpu(x)).get(), poolRef(x, mod.size, mod.stride, mod.pad, "max"))
    checkModule(MaxPool3D(size, stride, pad), np.random.randn(1, 2, 4, 4, 3))


def test_wrong_ndim_names_the_layout():
    with pytest.raises(ModuleError, match=r"MaxPool3D.*5-d data \(N, C, D, H, W\).*\(2, 3, 4, 4\)"):
        MaxPool3D()(to_gpu(np.zeros((2, 3, 4, 4), np.float32)))
