import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Conv1D, Conv2D, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._imageref import convRef


@pytest.mark.parametrize("size,stride,pad,dilation,groups", [
    (3, 1, 0, 1, 1), (3, 2, 1, 1, 1), (2, 1, 2, 3, 2), (1, 1, 0, 1, 4),
])
def test_forward_and_gradients(size, stride, pad, dilation, groups):
    mod = Conv1D(4, 4, size, stride=stride, pad=pad, dilation=dilation, groups=groups, initscheme="gaussian")
    mod.vars["b"].data.set(np.random.randn(1, 4, 1).astype(np.float32))
    x = np.random.randn(3, 4, 9).astype(np.float32)
    ref = convRef(x.astype(np.float64), mod.W.get(), mod.b.get(), mod.stride, mod.pad, mod.dilation, groups)
    np.testing.assert_allclose(mod(to_gpu(x)).get(), ref, rtol=1e-5, atol=1e-5)
    analytic, _ = checkModule(mod, np.random.randn(2, 4, 7))
    assert set(analytic) == {"input0", "W", "b"}


def test_same_as_conv2d_on_one_row():
    c1 = Conv1D(2, 3, 3, stride=2, pad=1)
    c2 = Conv2D(2, 3, (1, 3), stride=(1, 2), pad=(0, 1))
    c2.vars["W"].data.set(c1.W.get()[:, :, None, :])
    x = np.random.randn(2, 2, 8).astype(np.float32)
    np.testing.assert_allclose(c1(to_gpu(x)).get(), c2(to_gpu(x[:, :, None, :])).get()[:, :, 0, :], rtol=1e-6)
    assert c1.W.shape == (3, 2, 3) and c1.b.shape == (1, 3, 1)


def test_errors():
    mod = Conv1D(2, 3, 3, name="c")
    with pytest.raises(ModuleError, match=r"Conv1D 'c'.*3-d data.*\(2, 2, 5, 5\)"):
        mod(to_gpu(np.zeros((2, 2, 5, 5), np.float32)))
    with pytest.raises(ModuleError, match=r"Conv1D 'c'.*too small.*\(2, 2, 2\)"):
        mod(to_gpu(np.zeros((2, 2, 2), np.float32)))
    with pytest.raises(ModuleError, match=r"Conv1D.*size must be an int or 1 ints"):
        Conv1D(2, 3, (3, 3))
