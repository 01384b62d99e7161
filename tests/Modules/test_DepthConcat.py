import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import DepthConcat
from tests.gradcheck import checkModule


def test_centres_smaller_maps():
    a = np.ones((1, 1, 4, 5), np.float32)
    b = 2 * np.ones((1, 2, 2, 3), np.float32)
    out = DepthConcat()([to_gpu(a), to_gpu(b)]).get()
    assert out.shape == (1, 3, 4, 5)
    np.testing.assert_array_equal(out[:, 0], a[:, 0])
    expected = np.zeros((4, 5), np.float32)
    expected[1:3, 1:4] = 2
    np.testing.assert_array_equal(out[0, 1], expected)
    np.testing.assert_array_equal(out[0, 2], expected)


@pytest.mark.parametrize("shapes", [
    [(2, 1, 3, 3), (2, 2, 3, 3)],
    [(1, 2, 4, 4), (1, 1, 2, 3), (1, 3, 1, 4)],
    [(2, 1, 5), (2, 2, 2)],
])
def test_gradients(shapes):
    mod = DepthConcat()
    analytic, _ = checkModule(mod, [np.random.randn(*s) for s in shapes])
    assert len([k for k in analytic if k.startswith("input")]) == len(shapes)
    assert mod.gradShapeFrom(mod.data.shape) == shapes


def test_errors():
    with pytest.raises(ModuleError, match=r"DepthConcat: expected a list of maps"):
        DepthConcat()(to_gpu(np.zeros((1, 2, 3, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"same batch size"):
        DepthConcat()([to_gpu(np.zeros((1, 2, 3, 3), np.float32)), to_gpu(np.zeros((2, 2, 3, 3), np.float32))])
