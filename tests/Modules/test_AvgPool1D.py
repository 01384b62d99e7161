import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import AvgPool1D
from tests.gradcheck import checkModule
from tests.Modules._imageref import poolRef


@pytest.mark.parametrize("size,stride,pad", [(2, 2, 0), (3, 1, 1), (4, 3, 2)])
@pytest.mark.parametrize("includePad", [True, False])
def test_forward_and_gradients(size, stride, pad, includePad):
    mod = AvgPool1D(size, stride, pad, includePad=includePad)
    x = np.random.randn(2, 3, 9).astype(np.float32)
    ref = poolRef(x.astype(np.float64), mod.size, mod.stride, mod.pad, "avg", includePad)
    np.testing.assert_allclose(mod(to_gpu(x)).get(), ref, rtol=1e-5, atol=1e-6)
    checkModule(AvgPool1D(size, stride, pad, includePad=includePad), np.random.randn(2, 2, 8))
