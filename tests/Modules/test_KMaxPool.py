import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import KMaxPool
from tests.gradcheck import checkModule


def _host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)


def test_keeps_the_largest_in_ascending_order_of_value():
    x = np.array([[3, 1, 4, 1, 5, 9, 2, 6]], np.float32)
    mod = KMaxPool(topk=3, axis=1)
    np.testing.assert_array_equal(mod(to_gpu(x)).get(), [[5, 6, 9]])
    np.testing.assert_array_equal(_host(mod.indices), [[4, 7, 5]])  # where 5, 6 and 9 stood
    y = np.random.randn(2, 5, 3).astype(np.float32)
    out = KMaxPool(topk=2, axis=1)(to_gpu(y)).get()
    for n in range(2):
        for c in range(3):
            np.testing.assert_array_equal(out[n, :, c], np.sort(y[n, :, c])[-2:])


def test_equal_values_keep_their_input_order_and_the_gradient_goes_back_to_each_place():
    mod = KMaxPool(topk=3, axis=1)
    out = mod(to_gpu(np.array([[2, 7, 2, 0, 2]], np.float32))).get()
    np.testing.assert_array_equal(out, [[2, 2, 7]])  # the first two 2s win the tie for a place
    np.testing.assert_array_equal(_host(mod.indices), [[0, 2, 1]])
    back = mod.backward(to_gpu(np.array([[10, 20, 30]], np.float32))).get()
    np.testing.assert_array_equal(back, [[10, 30, 20, 0, 0]])


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
