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
