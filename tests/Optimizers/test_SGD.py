import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Cost import MSE
from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Modules import Linear
from PuzzleLib.Optimizers import SGD
from PuzzleLib.Variable import Variable
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


def _values():
    W0 = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]], np.float32)
    b0 = np.array([0.1, 0.2, 0.3], np.float32)
    g1 = np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 0.25]], np.float32)
    gb1 = np.array([1.0, -1.0, 0.5], np.float32)
    g2 = np.array([[-1.0, 0.5, 0.0], [1.0, 1.0, -2.0]], np.float32)
    gb2 = np.array([0.0, 2.0, -0.5], np.float32)
    return W0, b0, g1, gb1, g2, gb2


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_two_steps_by_hand(useGlobalState):
    W0, b0, g1, gb1, g2, gb2 = _values()
    opt = SGD(learnRate=0.1)
    lin = _setup(opt, useGlobalState, W0, b0)
    _setGrads(lin, g1, gb1)
    opt.update()
    # W1 = W0 + lr * g1 (grads are descent directions: added)
    np.testing.assert_allclose(lin.vars["W"].data.get(), [[1.05, -1.9, 0.4], [0.2, 3.0, -0.975]], rtol=1e-6)
    np.testing.assert_allclose(lin.vars["b"].data.get(), [0.2, 0.1, 0.35], rtol=1e-6)
    _setGrads(lin, g2, gb2)
    opt.update()
    np.testing.assert_allclose(lin.vars["W"].data.get(), [[0.95, -1.85, 0.4], [0.3, 3.1, -1.175]], rtol=1e-6)
    np.testing.assert_allclose(lin.vars["b"].data.get(), [0.2, 0.3, 0.3], rtol=1e-6, atol=1e-7)
    assert opt.t == 2


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_per_variable_learnRate(useGlobalState):
    W0, b0, g1, gb1, _, _ = _values()
    opt = SGD(learnRate=0.1)
    lin = _setup(opt, useGlobalState, W0, b0)
    lin.vars["W"].learnRate = 0.5
    lin.vars["b"].learnRate = 0.0
    _setGrads(lin, g1, gb1)
    opt.update()
    np.testing.assert_allclose(lin.vars["W"].data.get(), W0 + 0.05 * g1, rtol=1e-6)
    np.testing.assert_allclose(lin.vars["b"].data.get(), b0)


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_weight_decay(useGlobalState):
    W0, b0, g1, gb1, _, _ = _values()
    opt = SGD(learnRate=0.1)
    lin = _setup(opt, useGlobalState, W0, b0)
    lin.vars["W"].wc = 0.5
    _setGrads(lin, g1, gb1)
    opt.update()
    # weight decay as a descent direction: W += lr * (g - wc * W)
    np.testing.assert_allclose(lin.vars["W"].data.get(), W0 + 0.1 * (g1 - 0.5 * W0), rtol=1e-6)
    np.testing.assert_allclose(lin.vars["b"].data.get(), b0 + 0.1 * gb1, rtol=1e-6)


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_one_training_step_of_a_linear_net_by_hand(useGlobalState):
    lin = Linear(3, 2, initscheme="gaussian")
    net = Sequential().append(lin)
    opt = SGD(learnRate=0.5)
    opt.setupOn(net, useGlobalState=useGlobalState)
    W0, b0 = lin.vars["W"].data.get(), lin.vars["b"].data.get()
    x = np.random.randn(4, 3).astype(np.float32)
    y = np.random.randn(4, 2).astype(np.float32)
    for _ in range(2):  # a second step must not see the first step's gradients (zeroed)
        opt.zeroGradParams()
        grad = MSE()(net(to_gpu(x)), to_gpu(y), queryError=False)
        net.backward(grad)
        opt.update()
        d = (y - (x @ W0 + b0)) / y.size  # the negative gradient of the error
        W0, b0 = W0 + 0.5 * x.T @ d, b0 + 0.5 * d.sum(axis=0)
        np.testing.assert_allclose(lin.vars["W"].data.get(), W0, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(lin.vars["b"].data.get(), b0, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("learnRate", [0, -1, -1e-3, float("nan"), "0.1", None, True])
def test_invalid_learnRate(learnRate):
    with pytest.raises(OptimizerError, match=r"SGD.*learnRate"):
        SGD(learnRate=learnRate)


def test_invalid_learnRate_says_what_is_expected():
    with pytest.raises(OptimizerError, match=r"SGD: invalid learnRate: 0 \(expected a positive number\)"):
        SGD(learnRate=0)
    with pytest.raises(OptimizerError, match=r"SGD: invalid learnRate: -1 \(expected a positive number\)"):
        SGD(learnRate=-1)


def test_invalid_learnRate_is_a_ValueError():
    with pytest.raises(ValueError):
        SGD(-1)


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_zeroGradParams(useGlobalState):
    W0, b0, g1, gb1, _, _ = _values()
    opt = SGD(learnRate=0.1)
    lin = _setup(opt, useGlobalState, W0, b0)
    _setGrads(lin, g1, gb1)
    opt.zeroGradParams()
    assert np.all(lin.vars["W"].grad.get() == 0) and np.all(lin.vars["b"].grad.get() == 0)
    opt.update()
    np.testing.assert_array_equal(lin.vars["W"].data.get(), W0)


def test_use_before_setupOn():
    opt = SGD()
    with pytest.raises(OptimizerError, match=r"SGD.*setupOn"):
        opt.update()
    with pytest.raises(OptimizerError, match=r"SGD.*setupOn"):
        opt.zeroGradParams()
    with pytest.raises(OptimizerError, match=r"SGD.*module.*int"):
        opt.setupOn(3)
    with pytest.raises(OptimizerError, match=r"SGD.setupOn: expected a module, got the class Linear itself"):
        opt.setupOn(Linear)  # was "got _ModuleMeta"


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_t_counter(useGlobalState):
    opt = SGD()
    assert opt.t == 0
    lin = Linear(2, 2)
    opt.setupOn(lin, useGlobalState=useGlobalState)
    for i in range(3):
        opt.update()
        assert opt.t == i + 1
    opt.setupOn(lin, useGlobalState=useGlobalState)
    assert opt.t == 0


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_setupOn_keeps_values_and_the_net_uses_the_updated_ones(useGlobalState):
    net = Sequential().append(Linear(2, 3, initscheme="gaussian")).append(Linear(3, 1, initscheme="gaussian"))
    for var in net.getVarTable():
        var.grad.set(np.random.randn(*var.shape).astype(np.float32))
    before = {names[0]: (var.data.get(), var.grad.get()) for var, names in net.getVarTable().items()}
    x = to_gpu(np.random.randn(4, 2).astype(np.float32))
    outBefore = net(x).get()
    opt = SGD(learnRate=1.0)
    opt.setupOn(net, useGlobalState=useGlobalState)
    for var, names in net.getVarTable().items():
        np.testing.assert_array_equal(var.data.get(), before[names[0]][0])
        np.testing.assert_array_equal(var.grad.get(), before[names[0]][1])
    np.testing.assert_array_equal(net(x).get(), outBefore)
    # attribute access, the var table and the forward pass all see the same (updated) arrays
    opt.update()
    np.testing.assert_allclose(net[0].W.get(), before["0.W"][0] + before["0.W"][1], rtol=1e-6)
    expected = (x.get() @ net[0].W.get() + net[0].b.get()) @ net[1].W.get() + net[1].b.get()
    np.testing.assert_allclose(net(x).get(), expected, rtol=1e-5)


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_shared_variable_updated_once(useGlobalState):
    a, b = Linear(2, 2, useBias=False), Linear(2, 2, useBias=False)
    b.setVar("W", a.vars["W"])
    net = Sequential().append(a).append(b)
    W0 = a.vars["W"].data.get()
    opt = SGD(learnRate=1.0)
    opt.setupOn(net, useGlobalState=useGlobalState)
    g = np.ones((2, 2), np.float32)
    a.vars["W"].grad.set(g)
    opt.update()
    np.testing.assert_allclose(b.vars["W"].data.get(), W0 + g, rtol=1e-6)
    assert b.vars["W"] is a.vars["W"]


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_two_dtypes_both_updated(useGlobalState):
    l32, l64 = Linear(2, 2, useBias=False), Linear(2, 2, useBias=False)
    l64.calcMode(np.float64)
    net = Sequential().append(l32).append(l64)
    W32, W64 = l32.vars["W"].data.get(), l64.vars["W"].data.get()
    opt = SGD(learnRate=0.5)
    opt.setupOn(net, useGlobalState=useGlobalState)
    l32.vars["W"].grad.fill(1.0)
    l64.vars["W"].grad.fill(2.0)
    opt.update()
    np.testing.assert_allclose(l32.vars["W"].data.get(), W32 + 0.5, rtol=1e-6)
    np.testing.assert_allclose(l64.vars["W"].data.get(), W64 + 1.0, rtol=1e-12)
    assert l32.vars["W"].data.dtype == np.float32 and l64.vars["W"].data.dtype == np.float64


def test_variables_without_grad_are_left_alone():
    lin = Linear(2, 2)
    frozen = Variable(np.ones((2,), np.float32), withgrad=False)
    lin.setVar("frozen", frozen)
    opt = SGD(learnRate=1.0)
    opt.setupOn(lin)
    lin.vars["W"].grad.fill(1.0)
    opt.update()
    np.testing.assert_array_equal(lin.vars["frozen"].data.get(), np.ones(2, np.float32))


@pytest.mark.parametrize("useGlobalState", GLOBAL)
def test_hooks_see_each_variable_before_the_update(useGlobalState):
    W0, b0, g1, gb1, _, _ = _values()
    opt = SGD(learnRate=1.0)
    lin = _setup(opt, useGlobalState, W0, b0)
    _setGrads(lin, g1, gb1)
    seen = []

    def clipHook(var, state, optimizer):
        assert optimizer is opt
        seen.append((var.name, var.data.get().copy()))
        gpuarray.xp.clip(var.grad, -0.5, 0.5, out=var.grad)

    opt.addHook(clipHook)
    opt.update()
    assert sorted(name for name, _ in seen) == ["W", "b"]
    for name, data in seen:
        np.testing.assert_array_equal(data, W0 if name == "W" else b0)
    np.testing.assert_allclose(lin.vars["W"].data.get(), W0 + np.clip(g1, -0.5, 0.5), rtol=1e-6)
    with pytest.raises(OptimizerError, match=r"SGD.*callable"):
        opt.addHook(42)


def test_str():
    assert "SGD" in str(SGD(learnRate=0.25)) and "0.25" in str(SGD(learnRate=0.25))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("useGlobalState", [False, True])
@pytest.mark.parametrize("path", ["compiledKernels", "thisThreadKernels"])
def test_compiled_update_gives_the_numpy_paths_numbers(path, useGlobalState, dtype, request, monkeypatch):
    checkCompiledUpdate(lambda: SGD(learnRate=0.05), "sgdUpdate", path, useGlobalState, dtype, request, monkeypatch)
