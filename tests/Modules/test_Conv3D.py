import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Conv3D, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._imageref import convRef


@pytest.mark.parametrize("size,stride,pad,dilation,groups", [
    (2, 1, 0, 1, 1), ((2, 1, 2), (1, 2, 1), 1, 1, 2), (2, 1, 1, 2, 1),
])
def test_forward_and_gradients(size, stride, pad, dilation, groups):
    mod = Conv3D(2, 2, size, stride=stride, pad=pad, dilation=dilation, groups=groups, initscheme="gaussian")
    mod.vars["b"].data.set(np.random.randn(1, 2, 1, 1, 1).astype(np.float32))
    x = np.random.randn(2, 2, 3, 4, 3).astype(np.float32)
    ref = convRef(x.astype(np.float64), mod.W.get(), mod.b.get(), mod.stride, mod.pad, mod.dilation, groups)
    np.testing.assert_allclose(mod(to_gpu(x)).get(), ref, rtol=1e-5, atol=1e-5)
    analytic, _ = checkModule(mod, np.random.randn(1, 2, 3, 3, 3))
    assert set(analytic) == {"input0", "W", "b"}


def test_errors():
    mod = Conv3D(2, 3, 2)
    assert mod.W.shape == (3, 2, 2, 2, 2)
    with pytest.raises(ModuleError, match=r"Conv3D: expected 5-d data.*\(2, 2, 5, 5\)"):
        mod(to_gpu(np.zeros((2, 2, 5, 5), np.float32)))
