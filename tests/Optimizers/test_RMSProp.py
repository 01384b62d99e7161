import math

import numpy as np
import pytest

from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Optimizers import RMSProp
from tests.Optimizers._helpers import checkAgainstReference, makeModule


def _rmsprop(w, g, st, t, lr, factor, eps):
    ms = factor * st.get("ms", 0.0) + (1 - factor) * g * g
    st["ms"] = ms
    return w + lr * g / (math.sqrt(ms) + eps)


def test_two_steps_by_hand():
    # factor = 0.75, lr = 0.1, eps = 0, W = 0.5; g1 = 0.2: ms = 0.01, W1 = 0.5 + 0.1 * 0.2 / 0.1 = 0.7
    # g2 = -0.4: ms = 0.0075 + 0.04 = 0.0475, W2 = 0.7 - 0.04 / sqrt(0.0475)
    mod = makeModule()
    opt = RMSProp(learnRate=0.1, factor=0.75, epsilon=1e-300)
    opt.setupOn(mod, useGlobalState=True)
    W = mod.vars["W"]
    W.grad.set(np.array([0.2, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(0.7, abs=1e-15)
    W.grad.set(np.array([-0.4, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(0.7 - 0.04 / math.sqrt(0.0475), abs=1e-15)


def test_matches_reference():
    checkAgainstReference(lambda: RMSProp(learnRate=0.01, factor=0.8, epsilon=1e-3), _rmsprop,
                          {"lr": 0.01, "factor": 0.8, "eps": 1e-3})


def test_per_variable_learnRate():
    checkAgainstReference(lambda: RMSProp(learnRate=0.01), _rmsprop, {"lr": 0.01 * 3.0, "factor": 0.9, "eps": 1e-5},
                          {"lr": 0.01, "factor": 0.9, "eps": 1e-5}, multipliers={"W": (3.0, 1.0)})


def test_defaults_and_validation():
    opt = RMSProp()
    assert (opt.learnRate, opt.factor, opt.epsilon) == (1e-3, 0.9, 1e-5)
    for kwargs in ({"learnRate": -1}, {"factor": 1.5}, {"epsilon": -1.0}):
        with pytest.raises(OptimizerError, match="RMSProp"):
            RMSProp(**kwargs)
