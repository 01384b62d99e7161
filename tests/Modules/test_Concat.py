import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Concat import Concat
from tests.gradcheck import checkModule


@pytest.mark.parametrize("axis,shapes", [(1, [(2, 3), (2, 1)]), (-1, [(2, 2, 1), (2, 2, 2), (2, 2, 1)]),
                                         (0, [(1, 2), (2, 2)]), (1, [(1, 1, 2, 2), (1, 2, 2, 2)])])
def test_gradients(axis, shapes):
    checkModule(Concat(axis), [np.random.randn(*s) for s in shapes])


def test_forward_and_shapes():
    xs = [np.random.randn(2, k, 3).astype(np.float32) for k in (1, 4)]
    mod = Concat(axis=1)
    np.testing.assert_array_equal(mod([to_gpu(x) for x in xs]).get(), np.concatenate(xs, axis=1))
    assert mod.dataShapeFrom([(2, 1, 3), (2, 4, 3)]) == (2, 5, 3)
    assert mod.gradShapeFrom((2, 5, 3)) == [(2, 1, 3), (2, 4, 3)]


def test_errors():
    with pytest.raises(ModuleError, match=r"Concat 'c'.*every axis but 1.*\[\(2, 3\), \(3, 3\)\]"):
        Concat(1, name="c")([to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros((3, 3), np.float32))])
    with pytest.raises(ModuleError, match=r"Concat.*axis=2 is out of range for 2-d"):
        Concat(2)([to_gpu(np.zeros((2, 3), np.float32))] * 2)
    with pytest.raises(ModuleError, match=r"Concat.*axis must be an integer"):
        Concat("1")
