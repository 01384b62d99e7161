import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import KMaxPool
from tests.gradcheck import checkModule


def test_keeps_largest_in_original_order():
    x = np.array([[3, 1, 4, 1, 5, 9, 2, 6]], np.float32)
    np.testing.assert_array_equal(KMaxPool(topk=3, axis=1)(to_gpu(x)).get(), [[5, 9, 6]])
    y = np.random.randn(2, 5, 3).astype(np.float32)
    out = KMaxPool(topk=2, axis=1)(to_gpu(y)).get()
    for n in range(2):
        for c in range(3):
            col = y[n, :, c]
            keep = np.sort(np.argsort(-col)[:2])
            np.testing.assert_array_equal(out[n, :, c], col[keep])


@pytest.mark.parametrize("shape,topk,axis", [((2, 5), 2, 1), ((2, 4, 3), 3, 1), ((3, 2, 6), 4, -1), ((4, 3), 1, 0)])
def test_gradients(shape, topk, axis):
    mod = KMaxPool(topk=topk, axis=axis)
    analytic, _ = checkModule(mod, np.random.randn(*shape))
    assert mod.dataShapeFrom(shape)[axis] == topk
    assert mod.gradShapeFrom(mod.data.shape) == shape


def test_errors():
    with pytest.raises(ModuleError, match=r"topk must be a positive integer"):
        KMaxPool(topk=0, axis=1)
    with pytest.raises(ModuleError, match=r"KMaxPool: expected at least topk=5 values on axis 1"):
        KMaxPool(topk=5, axis=1)(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"axis 3 is out of range"):
        KMaxPool(topk=1, axis=3)(to_gpu(np.zeros((2, 3), np.float32)))


def test_list_input_is_refused():
    x = to_gpu(np.zeros((2, 3), np.float32))
    for data in ([x], (x, x)):
        with pytest.raises(ModuleError, match=r"KMaxPool: expected one array, got a list"):
            KMaxPool(topk=1, axis=1)(data)
