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
    mod.vars["b"].data.set(np.random.randn(1, 4, 1, 1).astype(np.float32))
    x = np.random.randn(3, 4, 9).astype(np.float32)
    ref = convRef(x.astype(np.float64), mod.W.get()[:, :, 0], mod.b.get()[..., 0], mod.stride, mod.pad, mod.dilation, groups)
    np.testing.assert_allclose(mod(to_gpu(x)).get(), ref, rtol=1e-5, atol=1e-5)
    analytic, _ = checkModule(mod, np.random.randn(2, 4, 7))
    assert set(analytic) == {"input0", "W", "b"}


def test_same_as_conv2d_on_one_row():
    c1 = Conv1D(2, 3, 3, stride=2, pad=1)
    c2 = Conv2D(2, 3, (1, 3), stride=(1, 2), pad=(0, 1))
    c2.vars["W"].data.set(c1.W.get())
    x = np.random.randn(2, 2, 8).astype(np.float32)
    np.testing.assert_allclose(c1(to_gpu(x)).get(), c2(to_gpu(x[:, :, None, :])).get()[:, :, 0, :], rtol=1e-6)


def test_parameters_in_puzzlelib_layout():
    # PuzzleLib's Conv1D keeps the 2-d layout: W (outmaps, inmaps // groups, 1, size), b (1, outmaps, 1, 1);
    # a file written by PuzzleLib 1.0 loads only with these shapes
    conv = Conv1D(4, 6, 3, groups=2)
    assert conv.W.shape == (6, 2, 1, 3) and conv.b.shape == (1, 6, 1, 1)
    assert conv.vars["W"].grad.shape == (6, 2, 1, 3) and conv.vars["b"].grad.shape == (1, 6, 1, 1)
    b = np.arange(6, dtype=np.float32).reshape(1, 6, 1, 1)
    conv.vars["b"].data.set(b)
    conv.vars["W"].data.fill(0)
    out = conv(to_gpu(np.ones((2, 4, 5), np.float32))).get()
    assert out.shape == (2, 6, 3)
    np.testing.assert_array_equal(out, np.broadcast_to(b[..., 0], out.shape))
    conv.backward(to_gpu(np.ones(out.shape, np.float32)))
    np.testing.assert_array_equal(conv.vars["b"].grad.get(), np.full((1, 6, 1, 1), 6, np.float32))


def test_errors():
    mod = Conv1D(2, 3, 3, name="c")
    with pytest.raises(ModuleError, match=r"Conv1D 'c'.*3-d data.*\(2, 2, 5, 5\)"):
        mod(to_gpu(np.zeros((2, 2, 5, 5), np.float32)))
    with pytest.raises(ModuleError, match=r"Conv1D 'c'.*too small.*\(2, 2, 2\)"):
        mod(to_gpu(np.zeros((2, 2, 2), np.float32)))
    with pytest.raises(ModuleError, match=r"Conv1D.*size must be an int or 1 ints"):
        Conv1D(2, 3, (3, 3))
