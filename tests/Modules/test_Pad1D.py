import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Pad1D import Pad1D
from tests.gradcheck import checkModule


@pytest.mark.parametrize("pad", [1, (2, 0), (0, 3), (3, 2)])
@pytest.mark.parametrize("mode", ["constant", "reflect"])
def test_gradients(pad, mode):
    checkModule(Pad1D(pad, mode=mode), np.random.randn(2, 1, 4))


@pytest.mark.parametrize("pad", [(1, 2), (3, 0), 2])
@pytest.mark.parametrize("mode", ["constant", "reflect"])
def test_matches_numpy_pad(pad, mode):
    x = np.random.randn(2, 3, 5).astype(np.float32)
    pairs = (pad, pad) if isinstance(pad, int) else pad
    ref = np.pad(x, ((0, 0), (0, 0), pairs), mode=mode)
    mod = Pad1D(pad, mode=mode)
    np.testing.assert_array_equal(mod(to_gpu(x)).get(), ref)
    assert mod.dataShapeFrom(x.shape) == ref.shape and mod.gradShapeFrom(ref.shape) == x.shape


def test_fill_value():
    y = Pad1D(1, fillValue=-7)(to_gpu(np.zeros((1, 1, 2), np.float32))).get()
    np.testing.assert_array_equal(y, [[[-7, 0, 0, -7]]])


def test_errors():
    with pytest.raises(ModuleError, match=r"Pad1D 'p'.*reflect.*\(1, 1, 2\)"):
        Pad1D(2, mode="reflect", name="p")(to_gpu(np.zeros((1, 1, 2), np.float32)))
    with pytest.raises(ModuleError, match=r"Pad1D.*3-d data \(N, C, L\).*\(2, 3\)"):
        Pad1D(1)(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Pad1D.*unknown mode 'edge'"):
        Pad1D(1, mode="edge")
    with pytest.raises(ModuleError, match=r"Pad1D.*pad entries must be >= 0"):
        Pad1D(-1)
    with pytest.raises(ModuleError, match=r"Pad1D.*fillValue applies only to mode 'constant'"):
        Pad1D(1, mode="reflect", fillValue=1.0)
