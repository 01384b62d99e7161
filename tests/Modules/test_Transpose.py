import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Transpose import Transpose
from tests.gradcheck import checkModule


@pytest.mark.parametrize("axes,shape", [((0, 2, 1), (2, 3, 4)), (None, (2, 3)), ((2, 0, 3, 1), (1, 2, 3, 2))])
def test_gradients(axes, shape):
    checkModule(Transpose(axes), np.random.randn(*shape))


def test_values_and_shapes():
    x = np.random.randn(2, 3, 4).astype(np.float32)
    mod = Transpose((1, 2, 0))
    y = mod(to_gpu(x))
    np.testing.assert_array_equal(y.get(), x.transpose(1, 2, 0))
    assert y.flags.c_contiguous
    assert mod.dataShapeFrom((2, 3, 4)) == (3, 4, 2) and mod.gradShapeFrom((3, 4, 2)) == (2, 3, 4)


def test_errors():
    with pytest.raises(ModuleError, match=r"Transpose.*permutation of 0..2.*\(0, 1, 1\)"):
        Transpose((0, 1, 1))
    with pytest.raises(ModuleError, match=r"Transpose 't'.*permute 3 axes, got 2-d"):
        Transpose((0, 2, 1), name="t")(to_gpu(np.zeros((2, 3), np.float32)))


def test_invaxes_is_the_inverse_permutation():
    mod = Transpose((2, 0, 3, 1))
    assert mod.invaxes == (1, 3, 0, 2)
    x = np.random.randn(2, 3, 4, 5)
    np.testing.assert_array_equal(np.transpose(np.transpose(x, mod.axes), mod.invaxes), x)
    assert Transpose().invaxes is None
