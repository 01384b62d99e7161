import math

import numpy as np
import pytest

from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Optimizers import SMORMS3
from tests.Optimizers._helpers import checkAgainstReference, makeModule


def _smorms3(w, g, st, t, lr, eps):
    mem = st.get("mem", 1.0)
    r = 1.0 / (mem + 1.0)
    mg = (1 - r) * st.get("mg", 0.0) + r * g
    ms = (1 - r) * st.get("ms", 0.0) + r * g * g
    x = mg * mg / (ms + eps)
    st.update(mem=1.0 + mem * (1.0 - x), mg=mg, ms=ms)
    return w + g * min(lr, x) / (math.sqrt(ms) + eps)


def test_two_steps_by_hand():
    # lr = 0.1, eps = 0 (tiny), W = 0.5, mem = 1 so r = 0.5
    # g1 = 0.2: mg = 0.1, ms = 0.02, x = 0.5; step = 0.2 * 0.1 / sqrt(0.02); mem = 1 + 0.5 = 1.5
    # g2 = 0.2: r = 0.4; mg = 0.06 + 0.08 = 0.14, ms = 0.012 + 0.016 = 0.028, x = 0.7;
    #           step = 0.2 * 0.1 / sqrt(0.028)
    mod = makeModule()
    opt = SMORMS3(learnRate=0.1, epsilon=1e-300)
    opt.setupOn(mod)
    W = mod.vars["W"]
    W.grad.set(np.array([0.2, 0.0, 0.0]))
    opt.update()
    w1 = 0.5 + 0.02 / math.sqrt(0.02)
    assert W.data.get()[0] == pytest.approx(w1, abs=1e-15)
    assert opt.states[W]["mem"].get()[0] == pytest.approx(1.5, abs=1e-15)
    W.grad.set(np.array([0.2, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(w1 + 0.02 / math.sqrt(0.028), abs=1e-15)


def test_memory_starts_at_one():
    mod = makeModule()
    opt = SMORMS3()
    opt.setupOn(mod, useGlobalState=True)
    assert np.all(opt.states[mod.vars["b"]]["mem"].get() == 1.0)


def test_matches_reference():
    checkAgainstReference(lambda: SMORMS3(learnRate=0.05, epsilon=1e-6), _smorms3, {"lr": 0.05, "eps": 1e-6})


def test_per_variable_learnRate():
    # a large learnRate lets x win the min(), a small one the learnRate
    checkAgainstReference(lambda: SMORMS3(learnRate=0.05), _smorms3, {"lr": 0.05 * 20.0, "eps": 1e-16},
                          {"lr": 0.05, "eps": 1e-16}, multipliers={"W": (20.0, 1.0)})


def test_defaults_and_validation():
    opt = SMORMS3()
    assert (opt.learnRate, opt.epsilon) == (1e-3, 1e-16)
    for kwargs in ({"learnRate": 0}, {"epsilon": -1.0}):
        with pytest.raises(OptimizerError, match="SMORMS3"):
            SMORMS3(**kwargs)
