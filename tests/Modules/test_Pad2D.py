import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Pad2D import Pad2D
from tests.gradcheck import checkModule


@pytest.mark.parametrize("pad", [1, (2, 1), (1, 0, 2, 1)])
@pytest.mark.parametrize("mode", ["constant", "reflect"])
def test_gradients(pad, mode):
    checkModule(Pad2D(pad, mode=mode), np.random.randn(1, 2, 3, 3))


@pytest.mark.parametrize("pad,pairs", [(1, ((1, 1), (1, 1))), ((2, 1), ((2, 2), (1, 1))),
                                       ((0, 2, 1, 3), ((0, 2), (1, 3)))])
@pytest.mark.parametrize("mode", ["constant", "reflect"])
def test_matches_numpy_pad(pad, pairs, mode):
    x = np.random.randn(2, 2, 4, 5).astype(np.float32)
    ref = np.pad(x, ((0, 0), (0, 0)) + pairs, mode=mode)
    np.testing.assert_array_equal(Pad2D(pad, mode=mode)(to_gpu(x)).get(), ref)


def test_errors():
    with pytest.raises(ModuleError, match=r"Pad2D 'p'.*4-d data \(N, C, H, W\).*\(2, 3, 4\)"):
        Pad2D(1, name="p")(to_gpu(np.zeros((2, 3, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"Pad2D.*pad must be an int or 4"):
        Pad2D((1, 2, 3))
