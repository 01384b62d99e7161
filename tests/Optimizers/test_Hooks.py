import math

import numpy as np
import pytest

from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Optimizers import SGD
from PuzzleLib.Optimizers.Hooks import ClipByGlobalNorm, ClipByValue, WeightDecay
from tests.Optimizers._helpers import B0, W0, makeModule

GW = np.array([0.3, -0.4, 0.0])
GB = np.array([[1.2], [0.0]])


def _stepWith(hooks, useGlobalState, lr=1.0):
    mod = makeModule()
    opt = SGD(learnRate=lr)
    opt.setupOn(mod, useGlobalState=useGlobalState)
    for hook in hooks:
        opt.addHook(hook)
    mod.vars["W"].grad.set(GW)
    mod.vars["b"].grad.set(GB)
    opt.update()
    return mod, opt


@pytest.mark.parametrize("useGlobalState", [False, True])
def test_weight_decay_subtracts_rate_times_W(useGlobalState):
    mod, _ = _stepWith([WeightDecay(0.5)], useGlobalState, lr=0.1)
    # W1 = W0 + lr * (g - rate * W0): W0[0] = 0.5, g = 0.3 -> 0.5 + 0.1 * (0.3 - 0.25) = 0.505
    np.testing.assert_allclose(mod.vars["W"].data.get(), W0 + 0.1 * (GW - 0.5 * W0), rtol=1e-12)
    assert mod.vars["W"].data.get()[0] == pytest.approx(0.505, abs=1e-15)
    np.testing.assert_allclose(mod.vars["b"].data.get(), B0 + 0.1 * (GB - 0.5 * B0), rtol=1e-12)


@pytest.mark.parametrize("useGlobalState", [False, True])
def test_clip_by_value(useGlobalState):
    mod, _ = _stepWith([ClipByValue(0.35)], useGlobalState)
    np.testing.assert_allclose(mod.vars["W"].data.get(), W0 + [0.3, -0.35, 0.0], rtol=1e-12)
    np.testing.assert_allclose(mod.vars["b"].data.get(), B0 + [[0.35], [0.0]], rtol=1e-12)


@pytest.mark.parametrize("useGlobalState", [False, True])
def test_clip_by_global_norm(useGlobalState):
    # the joint norm of all gradients: sqrt(0.09 + 0.16 + 1.44) = 1.3
    hook = ClipByGlobalNorm(0.65)
    mod, _ = _stepWith([hook], useGlobalState)
    assert hook.lastNorm == pytest.approx(1.3, abs=1e-12)
    np.testing.assert_allclose(mod.vars["W"].data.get(), W0 + 0.5 * GW, rtol=1e-12)
    np.testing.assert_allclose(mod.vars["b"].data.get(), B0 + 0.5 * GB, rtol=1e-12)
    norm = math.sqrt(float(np.sum(mod.vars["W"].grad.get() ** 2) + np.sum(mod.vars["b"].grad.get() ** 2)))
    assert norm == pytest.approx(0.65, abs=1e-12)


def test_clip_by_global_norm_leaves_small_gradients():
    hook = ClipByGlobalNorm(2.0)
    mod, _ = _stepWith([hook], True)
    np.testing.assert_allclose(mod.vars["W"].data.get(), W0 + GW, rtol=1e-12)


def test_clip_by_global_norm_leaves_nan_alone():
    mod = makeModule()
    opt = SGD(learnRate=1.0)
    opt.setupOn(mod)
    hook = ClipByGlobalNorm(1.0)
    opt.addHook(hook)
    mod.vars["W"].grad.set(np.array([np.nan, 1.0, 1.0]))
    opt.update()
    assert math.isnan(hook.lastNorm)
    assert mod.vars["b"].data.get()[0, 0] == B0[0, 0]


def test_hooks_run_in_order():
    # decay first, then clipping: (0.3 - 0.5 * 0.5) = 0.05 stays; -0.4 - (-0.5) = 0.1 -> clipped to 0.08
    mod, _ = _stepWith([WeightDecay(0.5), ClipByValue(0.08)], False)
    np.testing.assert_allclose(mod.vars["W"].data.get()[:2], W0[:2] + [0.05, 0.08], rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: WeightDecay(-1.0), lambda: ClipByValue(0.0), lambda: ClipByGlobalNorm(-1),
                                  lambda: ClipByGlobalNorm("a")])
def test_validation(make):
    with pytest.raises(OptimizerError):
        make()
