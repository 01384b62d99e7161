import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.SwapAxes import SwapAxes
from tests.gradcheck import checkModule


@pytest.mark.parametrize("a,b,shape", [(1, 2, (2, 3, 4)), (0, -1, (2, 3)), (1, 1, (2, 2))])
def test_gradients(a, b, shape):
    checkModule(SwapAxes(a, b), np.random.randn(*shape))


def test_values():
    x = np.random.randn(2, 3, 4, 5).astype(np.float32)
    np.testing.assert_array_equal(SwapAxes(1, 3)(to_gpu(x)).get(), np.swapaxes(x, 1, 3))
    assert SwapAxes(1, 3).dataShapeFrom((2, 3, 4, 5)) == (2, 5, 4, 3)


def test_errors():
    with pytest.raises(ModuleError, match=r"SwapAxes 's'.*axis2=3 is out of range for 3-d"):
        SwapAxes(1, 3, name="s")(to_gpu(np.zeros((2, 3, 4), np.float32)))
