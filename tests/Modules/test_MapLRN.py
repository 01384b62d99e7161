import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Modules import MapLRN, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._lrnref import mapRef

ARGS = [dict(N=3, alpha=2.0, beta=0.75, K=1.0), dict(N=2, alpha=1.5, beta=0.5, K=2.0),
        dict(N=5, alpha=3.0, beta=1.25, K=0.5), dict(N=1, alpha=1.0, beta=0.75, K=1.0)]


@pytest.mark.parametrize("args", ARGS)
def test_values_match_loops(args):
    x = np.random.randn(2, 2, 4, 5).astype(np.float32)
    y = MapLRN(**args)(to_gpu(x)).get()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, mapRef(x.astype(np.float64), **args), rtol=2e-6, atol=1e-6)


def test_defaults_match_loops():
    x = np.random.randn(1, 2, 6, 7).astype(np.float32) * 10
    np.testing.assert_allclose(MapLRN()(to_gpu(x)).get(), mapRef(x.astype(np.float64), 5, 1e-4, 0.75, 2.0), rtol=2e-6)


def test_channels_are_independent():
    x = np.random.randn(1, 3, 4, 4).astype(np.float32)
    mod = MapLRN(N=3, alpha=2.0)
    full = mod(to_gpu(x)).get()
    alone = mod(to_gpu(x[:, 1:2].copy())).get()
    np.testing.assert_array_equal(full[:, 1:2], alone)


@pytest.mark.parametrize("args,shape", list(zip(ARGS, [(1, 2, 3, 4), (2, 1, 3, 3), (1, 1, 4, 3), (1, 2, 2, 2)])))
def test_gradients(args, shape):
    checkModule(MapLRN(**args), np.random.randn(*shape))


def test_errors():
    mod = MapLRN(name="m")
    with pytest.raises(ModuleError, match=r"MapLRN 'm'.*4-d.*\(2, 3, 4, 5, 6\)"):
        mod(to_gpu(np.zeros((2, 3, 4, 5, 6), np.float32)))
    with pytest.raises(ModuleError, match=r"MapLRN 'm'.*dtype float32, got int32"):
        mod(to_gpu(np.zeros((1, 2, 3, 4), np.int32)))
    with pytest.raises(ModuleError, match=r"MapLRN.*N must be a positive integer, got 2.5"):
        MapLRN(N=2.5)
    with pytest.raises(ModuleError, match=r"MapLRN.*K must be > 0"):
        MapLRN(K=-1)


def test_blueprint_round_trip():
    net = Sequential().append(MapLRN(N=4, alpha=0.5, beta=0.6, K=1.5))
    x = to_gpu(np.random.randn(2, 2, 5, 5).astype(np.float32))
    again = Blueprint.load(net.save(withBlueprint=True))
    assert again[0].getBlueprint() == net[0].getBlueprint()
    np.testing.assert_array_equal(again(x).get(), net(x).get())


def test_alpha_is_divided_by_the_window_area_by_hand():
    # one value 2 in a 1x1 map, N=4: sum of squares 4, scaled by alpha / 16
    mod = MapLRN(N=4, alpha=8.0, beta=1.0, K=1.0)
    out = mod(to_gpu(np.array([[[[2.0]]]], np.float32))).get()
    assert out.item() == pytest.approx(2.0 / (1.0 + 8.0 / 16 * 4.0))
