import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Modules import ModuleError, SubtractMean
from tests.gradcheck import checkModule
from tests.Modules._lrnref import subtractMeanRef


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("includePad", [True, False])
def test_values_match_loops(size, includePad):
    x = np.random.randn(2, 2, 4, 6).astype(np.float32)
    y = SubtractMean(size, includePad)(to_gpu(x)).get()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, subtractMeanRef(x.astype(np.float64), size, includePad), rtol=1e-5, atol=1e-6)


def test_constant_maps():
    x = np.full((1, 1, 4, 4), 2.0, np.float32)
    np.testing.assert_array_equal(SubtractMean(3, includePad=False)(to_gpu(x)).get(), 0.0)
    # with padding counted as zeros, a corner's 3x3 window holds 4 real values: 2 - 2 * 4 / 9
    np.testing.assert_allclose(SubtractMean(3)(to_gpu(x)).get()[0, 0, 0, 0], 2 - 8 / 9, rtol=1e-6)


@pytest.mark.parametrize("size,includePad,shape", [(3, True, (1, 2, 3, 4)), (3, False, (2, 1, 4, 3)),
                                                   (2, False, (1, 1, 3, 3)), (4, True, (1, 1, 2, 5))])
def test_gradients(size, includePad, shape):
    checkModule(SubtractMean(size, includePad), np.random.randn(*shape))


def test_errors():
    mod = SubtractMean(name="sm")
    with pytest.raises(ModuleError, match=r"SubtractMean 'sm'.*4-d.*\(3, 4\)"):
        mod(to_gpu(np.zeros((3, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"SubtractMean 'sm'.*dtype float32, got float64"):
        mod(to_gpu(np.zeros((1, 1, 3, 4), np.float64)))
    with pytest.raises(ModuleError, match=r"SubtractMean.*size must be a positive integer, got 0"):
        SubtractMean(size=0)


def test_blueprint_round_trip():
    net = Sequential().append(SubtractMean(size=3, includePad=False))
    x = to_gpu(np.random.randn(2, 2, 5, 4).astype(np.float32))
    again = Blueprint.load(net.save(withBlueprint=True))
    assert again[0].getBlueprint()["scheme"] == {"size": 3, "includePad": False, "name": None}
    np.testing.assert_array_equal(again(x).get(), net(x).get())
    assert str(again[0]) == "SubtractMean(name='0', size=3, includePad=False)"


@pytest.mark.parametrize("size,pad", [(3, (1, 1)), (5, (2, 2)), (4, (2, 2)), (1, (0, 0))])
def test_pad_is_how_far_a_window_reaches_past_the_edge(size, pad):
    assert SubtractMean(size=size).pad == pad
