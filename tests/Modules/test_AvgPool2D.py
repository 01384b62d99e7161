import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import AvgPool2D, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._imageref import poolRef

GEOMETRIES = [(2, 2, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 0)), (3, 1, 2), (2, (3, 4), 1)]  # last: stride > size


@pytest.mark.parametrize("size,stride,pad", GEOMETRIES)
@pytest.mark.parametrize("includePad", [True, False])
def test_forward_matches_loops(size, stride, pad, includePad):
    mod = AvgPool2D(size, stride, pad, includePad=includePad)
    x = np.random.randn(2, 3, 7, 6).astype(np.float32)
    out = mod(to_gpu(x)).get()
    ref = poolRef(x.astype(np.float64), mod.size, mod.stride, mod.pad, "avg", includePad)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size,stride,pad", GEOMETRIES)
@pytest.mark.parametrize("includePad", [True, False])
def test_gradients(size, stride, pad, includePad):
    checkModule(AvgPool2D(size, stride, pad, includePad=includePad), np.random.randn(2, 2, 5, 6))


def test_errors():
    mod = AvgPool2D(name="a")
    with pytest.raises(ModuleError, match=r"AvgPool2D 'a'.*float32.*float64"):
        mod(to_gpu(np.zeros((1, 1, 4, 4), np.float64)))
    with pytest.raises(ModuleError, match=r"AvgPool2D 'a'.*4-d data.*\(1, 4, 4\)"):
        mod(to_gpu(np.zeros((1, 4, 4), np.float32)))
    assert "includePad=False" in str(AvgPool2D(includePad=False))


def test_calcMode_back_lets_go_of_the_other_dtypes_buffers():
    from tests.Modules._imageref import heldBytes
    mod = AvgPool2D(3, 2, 1, includePad=False)
    mod.calcMode(np.float64)
    y = mod(to_gpu(np.random.randn(2, 2, 5, 5)))
    mod.backward(to_gpu(np.ones(y.shape)))
    mod.calcMode(np.float32)
    assert heldBytes(mod, np.float64) == 0
