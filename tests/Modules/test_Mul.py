import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Mul import Mul
from tests.gradcheck import checkModule


@pytest.mark.parametrize("n,shape", [(2, (2, 3)), (3, (2, 1, 2))])
def test_gradients(n, shape):
    checkModule(Mul(), [np.random.randn(*shape) for _ in range(n)])


def test_forward_values():
    a = np.array([[1.0, 2.0]], np.float32)
    b = np.array([[3.0, -1.0]], np.float32)
    mod = Mul()
    np.testing.assert_array_equal(mod([to_gpu(a), to_gpu(b)]).get(), [[3.0, -2.0]])
    ga, gb = mod.backward(to_gpu(np.ones((1, 2), np.float32)))
    np.testing.assert_array_equal(ga.get(), b)
    np.testing.assert_array_equal(gb.get(), a)


def test_shape_mismatch():
    with pytest.raises(ModuleError, match=r"Mul.*one shape.*\(2, 3\), \(3, 2\)"):
        Mul()([to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros((3, 2), np.float32))])
