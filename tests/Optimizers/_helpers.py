"""Shared pieces of the optimizer tests: a bare module holding float64 variables, and a runner
that feeds chosen gradients to an optimizer step by step."""
import numpy as np

from PuzzleLib.Modules.Module import Module
from PuzzleLib.Variable import Variable

W0 = np.array([0.5, -1.0, 2.0], dtype=np.float64)
B0 = np.array([[0.25], [-0.75]], dtype=np.float64)
# two steps of gradients (descent directions) for each variable
GRADS_W = [np.array([0.1, -0.2, 0.3]), np.array([-0.05, 0.4, 0.2])]
GRADS_B = [np.array([[1.0], [-0.5]]), np.array([[0.5], [0.25]])]


def makeModule(dtype=np.float64):
    mod = Module(name="m")
    mod.setVar("W", Variable(W0.astype(dtype)))
    mod.setVar("b", Variable(B0.astype(dtype)))
    return mod


def runSteps(opt, useGlobalState, multipliers=None, dtype=np.float64):
    """Two updates with GRADS_*; returns the host values of W and b after each step.

    ``multipliers``: {"W": (learnRate, momRate), ...} set on the variables before setupOn.
    """
    mod = makeModule(dtype)
    for name, (lr, mr) in (multipliers or {}).items():
        mod.vars[name].learnRate = lr
        mod.vars[name].momRate = mr
    opt.setupOn(mod, useGlobalState=useGlobalState)
    history = []
    for gw, gb in zip(GRADS_W, GRADS_B):
        opt.zeroGradParams()
        mod.vars["W"].grad.set(gw.astype(dtype))
        mod.vars["b"].grad.set(gb.astype(dtype))
        opt.update()
        history.append((mod.vars["W"].data.get(), mod.vars["b"].data.get()))
    return history


def reference(rule, w0, grads, **hyper):
    """Run a scalar reference ``rule(w, g, state, t, **hyper) -> w`` element by element, in Python floats."""
    w0 = np.asarray(w0, dtype=np.float64)
    out = []
    flat = [float(v) for v in w0.ravel()]
    states = [{} for _ in flat]
    for t, g in enumerate(grads, start=1):
        gflat = [float(v) for v in np.asarray(g, dtype=np.float64).ravel()]
        flat = [rule(w, gi, st, t, **hyper) for w, gi, st in zip(flat, gflat, states)]
        out.append(np.array(flat).reshape(w0.shape))
    return out


def checkAgainstReference(optFactory, rule, hyperW, hyperB=None, multipliers=None):
    """Both state modes match the scalar reference for W and b over two steps (float64)."""
    hyperB = hyperW if hyperB is None else hyperB
    refW = reference(rule, W0, GRADS_W, **hyperW)
    refB = reference(rule, B0, GRADS_B, **hyperB)
    for useGlobalState in (False, True):
        history = runSteps(optFactory(), useGlobalState, multipliers)
        for step, ((w, b), rw, rb) in enumerate(zip(history, refW, refB)):
            np.testing.assert_allclose(w, rw, rtol=1e-12, atol=1e-15,
                                       err_msg="W, step %d, useGlobalState=%s" % (step + 1, useGlobalState))
            np.testing.assert_allclose(b, rb, rtol=1e-12, atol=1e-15,
                                       err_msg="b, step %d, useGlobalState=%s" % (step + 1, useGlobalState))


def _trainWide(makeOptimizer, useGlobalState, dtype):
    """Three steps of a net whose parameter runs hold 20000-odd and 80000-odd values; the
    parameters and every state array after them."""
    from PuzzleLib.Backend.gpuarray import to_gpu
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Cost import MSE
    from PuzzleLib.Modules import Linear
    np.random.seed(3)
    net = Sequential().append(Linear(64, 300)).append(Linear(300, 280))
    net.calcMode(dtype)
    opt = makeOptimizer()
    opt.setupOn(net, useGlobalState=useGlobalState)
    x, y = np.random.randn(16, 64).astype(dtype), np.random.randn(16, 280).astype(dtype)
    for _ in range(3):
        opt.zeroGradParams()
        net.backward(MSE()(net(to_gpu(x)), to_gpu(y), queryError=False))
        opt.update()
    variables = list(net.getVarTable())
    return [var.data.get() for var in variables] + [opt.states[var][name].get() for var in variables
                                                    for name in opt.stateNames]


def checkCompiledUpdate(makeOptimizer, kernelName, path, useGlobalState, dtype, request, monkeypatch):
    """Training steps on the compiled update (the fixture ``path`` of tests/Modules/_jitpath.py)
    give the numpy path's numbers bit for bit, and the kernel ran where it can."""
    from PuzzleLib.Backend import _jit
    from tests.Modules._jitpath import compiledActive
    request.getfixturevalue("numpyKernels")
    ref = _trainWide(makeOptimizer, useGlobalState, dtype)
    request.getfixturevalue(path)
    calls = []
    kernel = _jit.kernel
    monkeypatch.setattr(_jit, "kernel", lambda name: calls.append(name) or kernel(name))
    got = _trainWide(makeOptimizer, useGlobalState, dtype)
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a, b)
    assert (kernelName in calls) == compiledActive()
