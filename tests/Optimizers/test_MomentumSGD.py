import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Cost import MSE
from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Modules import Linear
from PuzzleLib.Optimizers import MomentumSGD
from tests.Modules._jitpath import compiledKernels, numpyKernels, thisThreadKernels  # noqa: F401 (fixtures)
from tests.Optimizers._helpers import checkCompiledUpdate

GLOBAL = [False, True]


def _setup(opt, useGlobalState, W0, b0):
    lin = Linear(W0.shape[0], W0.shape[1])
    lin.vars["W"].data.set(W0)
    lin.vars["b"].data.set(b0)
    opt.setupOn(lin, useGlobalState=useGlobalState)
    return lin


def _setGrads(lin, gW, gb):
    lin.vars["W"].grad.set(gW)
    lin.vars["b"].grad.set(gb)


W0 = np.array([[1.0, -2.0], [0.5, 0.0]], np.float32)
B0 = np.array([0.1, -0.3], np.float32)
G1 = np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32)
GB1 = np.array([0.5, -1.0], np.float32)
G2 = np.array([[0.0, -1.0], [2.0, 1.0]], np.float32)
GB2 = np.array([1.0, 1.0], np.float32)


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_two_steps_by_hand(useGlobalState):
    opt = MomentumSGD(learnRate=0.1, momRate=0.5)
    lin = _setup(opt, useGlobalState, W0, B0)
    _setGrads(lin, G1, GB1)
    opt.update()
    # m1 = lr * g1 = [[0.1, 0.2], [-0.1, 0.05]]; W1 = W0 + m1
    np.testing.assert_allclose(lin.vars["W"].data.get(), [[1.1, -1.8], [0.4, 0.05]], rtol=1e-6)
    np.testing.assert_allclose(lin.vars["b"].data.get(), [0.15, -0.4], rtol=1e-6)
    np.testing.assert_allclose(opt.states[lin.vars["W"]]["mom"].get(), [[0.1, 0.2], [-0.1, 0.05]], rtol=1e-6)
    _setGrads(lin, G2, GB2)
    opt.update()
    # m2 = 0.5 * m1 + 0.1 * g2 = [[0.05, 0.0], [0.15, 0.125]]; W2 = W1 + m2
    np.testing.assert_allclose(lin.vars["W"].data.get(), [[1.15, -1.8], [0.55, 0.175]], rtol=1e-6)
    # mb1 = [0.05, -0.1]; mb2 = [0.025 + 0.1, -0.05 + 0.1] = [0.125, 0.05]; b2 = b1 + mb2
    np.testing.assert_allclose(lin.vars["b"].data.get(), [0.275, -0.35], rtol=1e-6)
    assert opt.t == 2


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_momentum_keeps_moving_with_zero_grad(useGlobalState):
    opt = MomentumSGD(learnRate=1.0, momRate=0.9)
    lin = _setup(opt, useGlobalState, W0, B0)
    _setGrads(lin, G1, GB1)
    opt.update()
    opt.zeroGradParams()
    opt.update()
    np.testing.assert_allclose(lin.vars["W"].data.get(), W0 + G1 + 0.9 * G1, rtol=1e-6)


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_per_variable_learnRate_and_momRate(useGlobalState):
    opt = MomentumSGD(learnRate=0.1, momRate=0.5)
    lin = _setup(opt, useGlobalState, W0, B0)
    W = lin.vars["W"]
    W.learnRate = 2.0
    W.momRate = 0.5
    _setGrads(lin, G1, GB1)
    opt.update()
    _setGrads(lin, G2, GB2)
    opt.update()
    m1 = 0.2 * G1
    m2 = (0.5 * 0.5) * m1 + 0.2 * G2
    np.testing.assert_allclose(W.data.get(), W0 + m1 + m2, rtol=1e-6)
    # b keeps the optimizer's own rates
    mb1 = 0.1 * GB1
    mb2 = 0.5 * mb1 + 0.1 * GB2
    np.testing.assert_allclose(lin.vars["b"].data.get(), B0 + mb1 + mb2, rtol=1e-6)


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_momRate_zero_is_sgd(useGlobalState):
    opt = MomentumSGD(learnRate=0.1, momRate=0.0)
    lin = _setup(opt, useGlobalState, W0, B0)
    _setGrads(lin, G1, GB1)
    opt.update()
    _setGrads(lin, G2, GB2)
    opt.update()
    np.testing.assert_allclose(lin.vars["W"].data.get(), W0 + 0.1 * (G1 + G2), rtol=1e-6)


def test_defaults():
    opt = MomentumSGD()
    assert opt.learnRate == 1e-3 and opt.momRate == 0.9
    opt = MomentumSGD(1e-2)  # the tutorial passes the learning rate positionally
    assert opt.learnRate == 1e-2 and opt.momRate == 0.9


@pytest.mark.parametrize("kwargs,argname", [
    ({"learnRate": 0}, "learnRate"), ({"learnRate": -0.1}, "learnRate"), ({"learnRate": "a"}, "learnRate"),
    ({"learnRate": float("nan")}, "learnRate"), ({"momRate": -0.5}, "momRate"), ({"momRate": None}, "momRate"),
    ({"momRate": 1.0}, "momRate"),
])
def test_invalid_arguments(kwargs, argname):
    with pytest.raises(OptimizerError, match=r"MomentumSGD.*%s" % argname):
        MomentumSGD(**kwargs)


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_zeroGradParams_and_t(useGlobalState):
    opt = MomentumSGD(learnRate=0.1)
    lin = _setup(opt, useGlobalState, W0, B0)
    _setGrads(lin, G1, GB1)
    opt.zeroGradParams()
    assert np.all(lin.vars["W"].grad.get() == 0) and np.all(lin.vars["b"].grad.get() == 0)
    assert opt.t == 0
    opt.update()
    assert opt.t == 1
    np.testing.assert_array_equal(lin.vars["W"].data.get(), W0)


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_setupOn_keeps_values(useGlobalState):
    net = Sequential().append(Linear(2, 3, initscheme="gaussian")).append(Linear(3, 2, initscheme="gaussian"))
    before = {names[0]: var.data.get() for var, names in net.getVarTable().items()}
    opt = MomentumSGD()
    opt.setupOn(net, useGlobalState=useGlobalState)
    for var, names in net.getVarTable().items():
        np.testing.assert_array_equal(var.data.get(), before[names[0]])
        assert np.all(opt.states[var]["mom"].get() == 0)
        assert opt.states[var]["mom"].shape == var.shape


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_training_steps_by_hand(useGlobalState):
    lin = Linear(2, 1, initscheme="gaussian")
    net = Sequential().append(lin)
    opt = MomentumSGD(learnRate=0.2, momRate=0.9)
    opt.setupOn(net, useGlobalState=useGlobalState)
    W, b = lin.vars["W"].data.get().astype(np.float64), lin.vars["b"].data.get().astype(np.float64)
    mW, mb = np.zeros_like(W), np.zeros_like(b)
    x = np.random.randn(5, 2).astype(np.float32)
    y = np.random.randn(5, 1).astype(np.float32)
    for _ in range(3):
        opt.zeroGradParams()
        net.backward(MSE()(net(to_gpu(x)), to_gpu(y), queryError=False))
        opt.update()
        d = (y - (x @ W + b)) / y.size
        mW = 0.9 * mW + 0.2 * (x.T @ d)
        mb = 0.9 * mb + 0.2 * d.sum(axis=0)
        W, b = W + mW, b + mb
        np.testing.assert_allclose(lin.vars["W"].data.get(), W, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(lin.vars["b"].data.get(), b, rtol=1e-5, atol=1e-6)


def test_str():
    text = str(MomentumSGD(learnRate=0.01, momRate=0.5))
    assert "MomentumSGD" in text and "0.01" in text and "0.5" in text



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("useGlobalState", GLOBAL)
@pytest.mark.parametrize("path", ["compiledKernels", "thisThreadKernels"])
def test_compiled_update_gives_the_numpy_paths_numbers(path, useGlobalState, dtype, request, monkeypatch):
    checkCompiledUpdate(lambda: MomentumSGD(learnRate=0.05, momRate=0.9), "momentumUpdate", path,
                        useGlobalState, dtype, request, monkeypatch)
