import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Slice import Slice
from tests.gradcheck import checkModule


@pytest.mark.parametrize("slc,shape", [((slice(None), slice(1, 3)), (2, 4)), (slice(0, 1), (2, 3)),
                                       ((slice(None), slice(0, None, 2), slice(1, 2)), (2, 5, 3)), (None, (2, 2))])
def test_gradients(slc, shape):
    checkModule(Slice(slc), np.random.randn(*shape))


def test_values_and_shapes():
    x = np.random.randn(3, 6, 2).astype(np.float32)
    slc = (slice(None), slice(1, -1, 2))
    mod = Slice(slc)
    np.testing.assert_array_equal(mod(to_gpu(x)).get(), x[slc])
    assert mod.dataShapeFrom((3, 6, 2)) == x[slc].shape
    g = mod.backward(to_gpu(np.ones(x[slc].shape, np.float32))).get()
    expected = np.zeros_like(x)
    expected[slc] = 1
    np.testing.assert_array_equal(g, expected)


def test_errors():
    with pytest.raises(ModuleError, match=r"Slice.*slice or a tuple of slices, got 3"):
        Slice(3)
    with pytest.raises(ModuleError, match=r"Slice 's'.*3 entries, got 2-d data of shape \(2, 3\)"):
        Slice((slice(None),) * 3, name="s")(to_gpu(np.zeros((2, 3), np.float32)))


def test_subscript_syntax_sets_slc_and_returns_the_module():
    mod = Slice()
    assert mod[:, :, 1:-1, 2:] is mod
    assert mod.slc == (slice(None), slice(None), slice(1, -1), slice(2, None))
    x = np.random.randn(2, 3, 5, 6).astype(np.float32)
    np.testing.assert_array_equal(mod(to_gpu(x)).get(), x[:, :, 1:-1, 2:])
    checkModule(Slice()[:, 1:3], np.random.randn(2, 4))


def test_subscript_with_an_index_is_refused_like_the_constructor_argument():
    with pytest.raises(ModuleError, match="Slice: slc must be a slice or a tuple of slices, got 1"):
        Slice()[1]
