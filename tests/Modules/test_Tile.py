import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Tile import Tile
from tests.gradcheck import checkModule


@pytest.mark.parametrize("axis,times,shape", [(1, 3, (2, 2)), (-1, 2, (2, 2, 3)), (0, 2, (1, 3)), (1, 1, (2, 2))])
def test_gradients(axis, times, shape):
    checkModule(Tile(axis, times), np.random.randn(*shape))


def test_values():
    x = np.random.randn(2, 3, 4).astype(np.float32)
    mod = Tile(axis=1, times=2)
    np.testing.assert_array_equal(mod(to_gpu(x)).get(), np.concatenate([x, x], axis=1))
    assert mod.dataShapeFrom((2, 3, 4)) == (2, 6, 4) and mod.gradShapeFrom((2, 6, 4)) == (2, 3, 4)


def test_errors():
    with pytest.raises(ModuleError, match=r"Tile.*times must be a positive integer"):
        Tile(1, 0)
    with pytest.raises(ModuleError, match=r"Tile 't'.*axis=2 is out of range for 2-d"):
        Tile(2, 2, name="t")(to_gpu(np.zeros((2, 3), np.float32)))
