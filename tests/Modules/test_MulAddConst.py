import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.MulAddConst import MulAddConst
from tests.gradcheck import checkModule


@pytest.mark.parametrize("a,b,inplace", [(2.0, 1.0, False), (-0.5, 0.0, True), (1.0, -3.0, False)])
def test_gradients(a, b, inplace):
    checkModule(MulAddConst(a, b, inplace), np.random.randn(3, 2))


def test_values_and_inplace():
    x = to_gpu(np.array([1.0, -2.0], np.float32))
    np.testing.assert_array_equal(MulAddConst(3.0, 0.5)(x).get(), [3.5, -5.5])
    y = MulAddConst(2.0, inplace=True)(x)
    assert y is x
    np.testing.assert_array_equal(x.get(), [2.0, -4.0])


def test_errors():
    with pytest.raises(ModuleError, match=r"MulAddConst.*a must be a number, got 'x'"):
        MulAddConst(a="x")
