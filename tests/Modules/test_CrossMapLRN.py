import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Modules import LRN, CrossMapLRN, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._lrnref import crossMapRef

# large alpha so that the normalisation (and its gradient) is far from the identity
ARGS = [dict(N=5, alpha=2.0, beta=0.75, K=1.0), dict(N=2, alpha=1.5, beta=0.5, K=2.0),
        dict(N=3, alpha=3.0, beta=1.25, K=0.5), dict(N=1, alpha=1.0, beta=0.75, K=1.0)]


@pytest.mark.parametrize("args", ARGS)
def test_values_match_loops(args):
    x = np.random.randn(2, 4, 3, 2).astype(np.float32)
    y = CrossMapLRN(**args)(to_gpu(x)).get()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, crossMapRef(x.astype(np.float64), **args), rtol=2e-6, atol=1e-6)


def test_defaults_match_loops():
    x = np.random.randn(1, 7, 2, 2).astype(np.float32) * 10
    np.testing.assert_allclose(CrossMapLRN()(to_gpu(x)).get(), crossMapRef(x.astype(np.float64), 5, 1e-4, 0.75, 2.0),
                               rtol=2e-6)


@pytest.mark.parametrize("args,shape", list(zip(ARGS, [(2, 5, 2, 2), (1, 3, 2, 3), (2, 4, 1, 2), (1, 2, 2, 2)])))
def test_gradients(args, shape):
    checkModule(CrossMapLRN(**args), np.random.randn(*shape))


def test_errors():
    mod = CrossMapLRN(name="lrn")
    with pytest.raises(ModuleError, match=r"CrossMapLRN 'lrn'.*4-d.*\(2, 3, 4\)"):
        mod(to_gpu(np.zeros((2, 3, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"CrossMapLRN 'lrn'.*dtype float32, got float64"):
        mod(to_gpu(np.zeros((1, 2, 3, 4), np.float64)))
    mod(to_gpu(np.zeros((1, 2, 3, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"CrossMapLRN 'lrn'.*gradient of shape \(1, 2, 3, 4\)"):
        mod.backward(to_gpu(np.zeros((1, 2, 3, 5), np.float32)))
    with pytest.raises(ModuleError, match=r"CrossMapLRN.*N must be a positive integer, got 0"):
        CrossMapLRN(N=0)
    with pytest.raises(ModuleError, match=r"CrossMapLRN.*K must be > 0"):
        CrossMapLRN(K=0.0)
    with pytest.raises(ModuleError, match=r"CrossMapLRN.*alpha must be >= 0"):
        CrossMapLRN(alpha=-1.0)
    with pytest.raises(ModuleError, match=r"CrossMapLRN.*beta must be a number"):
        CrossMapLRN(beta="x")
    with pytest.raises(ModuleError, match=r"LRN.*base of CrossMapLRN"):
        LRN()


def test_blueprint_round_trip():
    net = Sequential().append(CrossMapLRN(N=3, alpha=0.5, beta=0.6, K=1.5, name="lrn"))
    x = to_gpu(np.random.randn(2, 4, 3, 3).astype(np.float32))
    again = Blueprint.load(net.save(withBlueprint=True))
    assert again["lrn"].getBlueprint() == net["lrn"].getBlueprint()
    np.testing.assert_array_equal(again(x).get(), net(x).get())
    assert "N=3" in str(net["lrn"])
