import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Conv3D, Deconv3D
from tests.gradcheck import checkModule


@pytest.mark.parametrize("size,stride,pad,postpad,groups", [(2, 2, 0, 0, 1), ((2, 3, 2), (2, 1, 1), 1, (1, 0, 0), 2)])
def test_adjoint_and_gradients(size, stride, pad, postpad, groups):
    mod = Deconv3D(2, 2, size, stride=stride, pad=pad, postpad=postpad, groups=groups, initscheme="gaussian")
    analytic, _ = checkModule(mod, np.random.randn(1, 2, 2, 3, 2))
    assert set(analytic) == {"input0", "W", "b"}

    mod.vars["b"].data.fill(0)
    conv = Conv3D(2, 2, size, stride=stride, pad=pad, groups=groups)
    conv.calcMode(np.float64)
    conv.vars["W"].data.set(mod.W.get())
    y = np.random.randn(1, 2, 2, 3, 2)
    out = mod(to_gpu(y)).get()
    conv(to_gpu(np.zeros(out.shape)))
    np.testing.assert_allclose(out, conv.backward(to_gpu(y)).get(), rtol=1e-10, atol=1e-12)
