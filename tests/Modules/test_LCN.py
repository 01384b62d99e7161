import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Modules import LCN, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._lrnref import lcnRef

ARGS = [dict(N=3, alpha=2.0, beta=0.75, K=1.0, includePad=True),
        dict(N=2, alpha=1.5, beta=0.5, K=2.0, includePad=False),
        dict(N=5, alpha=3.0, beta=1.25, K=0.5, includePad=False),
        dict(N=4, alpha=1.0, beta=0.75, K=1.0, includePad=True)]


@pytest.mark.parametrize("args", ARGS)
def test_values_match_loops(args):
    x = np.random.randn(2, 2, 4, 5).astype(np.float32)
    y = LCN(**args)(to_gpu(x)).get()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, lcnRef(x.astype(np.float64), **args), rtol=1e-5, atol=1e-6)


def test_defaults_match_loops():
    x = np.random.randn(1, 2, 6, 7).astype(np.float32) * 10
    np.testing.assert_allclose(LCN()(to_gpu(x)).get(), lcnRef(x.astype(np.float64), 5, 1e-4, 0.75, 2.0, True),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("args,shape", list(zip(ARGS, [(1, 2, 3, 4), (2, 1, 3, 3), (1, 1, 4, 3), (1, 1, 3, 3)])))
def test_gradients(args, shape):
    checkModule(LCN(**args), np.random.randn(*shape))


def test_errors():
    mod = LCN(name="l")
    with pytest.raises(ModuleError, match=r"LCN 'l'.*4-d.*\(1, 3, 4\)"):
        mod(to_gpu(np.zeros((1, 3, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"LCN 'l'.*dtype float32, got float64"):
        mod(to_gpu(np.zeros((1, 1, 3, 4), np.float64)))
    with pytest.raises(ModuleError, match=r"LCN.*N must be a positive integer"):
        LCN(N=-3)
    with pytest.raises(ModuleError, match=r"LCN.*K must be > 0"):
        LCN(K=0)


def test_blueprint_round_trip():
    net = Sequential().append(LCN(N=3, alpha=0.5, beta=0.6, K=1.5, includePad=False))
    x = to_gpu(np.random.randn(2, 2, 5, 4).astype(np.float32))
    again = Blueprint.load(net.save(withBlueprint=True))
    assert again[0].getBlueprint() == net[0].getBlueprint()
    np.testing.assert_array_equal(again(x).get(), net(x).get())
    assert "includePad=False" in str(again[0])


def test_size_pad_and_means_attributes():
    mod = LCN(N=5)
    assert mod.size == (5, 5) and mod.pad == (2, 2)
    assert mod.means is None
    x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    mod(to_gpu(x))
    # the centre's 5x5 window covers the whole map (sum 36) and 16 zeros outside: 36 / 25
    assert mod.means.shape == (1, 1, 3, 3)
    assert mod.means.get()[0, 0, 1, 1] == pytest.approx(36 / 25)


def test_the_output_is_x_over_the_spread_about_the_local_mean_by_hand():
    # map [1, 3], N=3, includePad: every window holds both values and 7 zeros outside the map
    mean = (1.0 + 3.0) / 9
    spread = (1.0 - mean) ** 2 + (3.0 - mean) ** 2   # over the positions inside the map only
    base = 1.0 + 9.0 / 9 * spread                     # K + alpha / N**2 * spread
    mod = LCN(N=3, alpha=9.0, beta=0.5, K=1.0)
    out = mod(to_gpu(np.array([[[[1.0, 3.0]]]], np.float32))).get()
    np.testing.assert_allclose(out.ravel(), [1.0 / np.sqrt(base), 3.0 / np.sqrt(base)], rtol=1e-6)
    np.testing.assert_allclose(mod.means.get().ravel(), [mean, mean], rtol=1e-6)
