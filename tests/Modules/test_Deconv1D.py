import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Conv1D, Deconv1D
from tests.gradcheck import checkModule


@pytest.mark.parametrize("size,stride,pad,dilation,postpad,groups", [
    (3, 1, 0, 1, 0, 1), (3, 2, 1, 1, 1, 2), (2, 3, 0, 2, 2, 1),
])
def test_adjoint_and_gradients(size, stride, pad, dilation, postpad, groups):
    mod = Deconv1D(2, 4, size, stride=stride, pad=pad, dilation=dilation, postpad=postpad, groups=groups,
                   initscheme="gaussian")
    analytic, _ = checkModule(mod, np.random.randn(2, 2, 4))
    assert set(analytic) == {"input0", "W", "b"}

    mod.vars["b"].data.fill(0)
    conv = Conv1D(4, 2, size, stride=stride, pad=pad, dilation=dilation, groups=groups)
    conv.calcMode(np.float64)
    conv.vars["W"].data.set(mod.W.get())
    y = np.random.randn(2, 2, 4)
    out = mod(to_gpu(y)).get()
    assert out.shape == (2, 4, (4 - 1) * stride - 2 * pad + dilation * (size - 1) + 1 + postpad)
    conv(to_gpu(np.zeros(out.shape)))
    np.testing.assert_allclose(out, conv.backward(to_gpu(y)).get(), rtol=1e-10, atol=1e-12)


def test_parameters_in_puzzlelib_layout():
    # as PuzzleLib's Deconv1D: W (inmaps, outmaps // groups, 1, size), b (1, outmaps, 1, 1)
    deconv = Deconv1D(4, 6, 3, stride=2, groups=2)
    assert deconv.W.shape == (4, 3, 1, 3) and deconv.b.shape == (1, 6, 1, 1)
    b = np.arange(6, dtype=np.float32).reshape(1, 6, 1, 1)
    deconv.vars["b"].data.set(b)
    deconv.vars["W"].data.fill(0)
    out = deconv(to_gpu(np.ones((2, 4, 5), np.float32))).get()
    assert out.shape == (2, 6, 11)
    np.testing.assert_array_equal(out, np.broadcast_to(b[..., 0], out.shape))
    deconv.backward(to_gpu(np.ones(out.shape, np.float32)))
    np.testing.assert_array_equal(deconv.vars["b"].grad.get(), np.full((1, 6, 1, 1), 22, np.float32))
