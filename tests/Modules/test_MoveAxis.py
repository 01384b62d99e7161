import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.MoveAxis import MoveAxis
from tests.gradcheck import checkModule


@pytest.mark.parametrize("src,dst,shape", [(1, 3, (2, 3, 2, 2)), (3, 1, (2, 2, 1, 3)), (-1, 0, (2, 3))])
def test_gradients(src, dst, shape):
    checkModule(MoveAxis(src, dst), np.random.randn(*shape))


@pytest.mark.parametrize("src,dst", [(1, 3), (3, 1), (0, 2), (2, -1)])
def test_matches_numpy(src, dst):
    x = np.random.randn(2, 3, 4, 5).astype(np.float32)
    mod = MoveAxis(src, dst)
    np.testing.assert_array_equal(mod(to_gpu(x)).get(), np.moveaxis(x, src, dst))
    assert mod.gradShapeFrom(mod.dataShapeFrom(x.shape)) == x.shape


def test_errors():
    with pytest.raises(ModuleError, match=r"MoveAxis.*src=4 is out of range for 4-d"):
        MoveAxis(4, 0)(to_gpu(np.zeros((1, 2, 3, 4), np.float32)))
