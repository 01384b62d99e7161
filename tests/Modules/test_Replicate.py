import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Replicate import Replicate
from tests.gradcheck import checkModule


@pytest.mark.parametrize("times,shape", [(1, (2, 3)), (3, (2, 2, 2))])
def test_gradients(times, shape):
    checkModule(Replicate(times), np.random.randn(*shape))


def test_forward_and_backward_sum():
    x = np.random.randn(2, 3).astype(np.float32)
    mod = Replicate(2)
    outs = mod(to_gpu(x))
    assert len(outs) == 2 and outs[0] is not outs[1]
    np.testing.assert_array_equal(outs[1].get(), x)
    g = mod.backward([to_gpu(np.ones((2, 3), np.float32)), to_gpu(np.full((2, 3), 2, np.float32))])
    np.testing.assert_array_equal(g.get(), 3)


def test_errors():
    with pytest.raises(ModuleError, match=r"Replicate.*times must be a positive integer, got 0"):
        Replicate(0)
    mod = Replicate(2, name="r")
    mod(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Replicate 'r'.*gradients of shapes"):
        mod.backward(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Replicate 'r'.*one array, got a list of 2"):
        mod([to_gpu(np.zeros((2, 3), np.float32))] * 2)
