import math

import numpy as np
import pytest

from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Optimizers import RMSPropGraves
from tests.Optimizers._helpers import checkAgainstReference, makeModule


def _graves(w, g, st, t, lr, alpha, mom, eps):
    ms = alpha * st.get("ms", 0.0) + (1 - alpha) * g * g
    mg = alpha * st.get("mg", 0.0) + (1 - alpha) * g
    delta = mom * st.get("delta", 0.0) + lr * g / math.sqrt(ms - mg * mg + eps)
    st.update(ms=ms, mg=mg, delta=delta)
    return w + delta


def test_two_steps_by_hand():
    # alpha = 0.5, lr = 0.1, momRate = 0.5, eps = 0.01, W = 0.5
    # g1 = 0.2: ms = 0.02, mg = 0.1, ms - mg^2 + eps = 0.02; delta = 0.02 / sqrt(0.02) = sqrt(0.02)
    # g2 = 0.0: ms = 0.01, mg = 0.05, the gradient term is 0; delta = 0.5 * sqrt(0.02)
    mod = makeModule()
    opt = RMSPropGraves(learnRate=0.1, alpha=0.5, momRate=0.5, epsilon=0.01)
    opt.setupOn(mod)
    W = mod.vars["W"]
    W.grad.set(np.array([0.2, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(0.5 + math.sqrt(0.02), abs=1e-15)
    W.grad.set(np.array([0.0, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(0.5 + 1.5 * math.sqrt(0.02), abs=1e-15)


def test_matches_reference():
    checkAgainstReference(lambda: RMSPropGraves(learnRate=0.01, alpha=0.9, momRate=0.8, epsilon=1e-3), _graves,
                          {"lr": 0.01, "alpha": 0.9, "mom": 0.8, "eps": 1e-3})


def test_per_variable_multipliers():
    checkAgainstReference(lambda: RMSPropGraves(learnRate=0.01), _graves,
                          {"lr": 0.01 * 0.5, "alpha": 0.95, "mom": 0.9 * 0.5, "eps": 1e-4},
                          {"lr": 0.01, "alpha": 0.95, "mom": 0.9, "eps": 1e-4}, multipliers={"W": (0.5, 0.5)})


def test_defaults_and_validation():
    opt = RMSPropGraves()
    assert (opt.learnRate, opt.alpha, opt.momRate, opt.epsilon) == (1e-4, 0.95, 0.9, 1e-4)
    for kwargs in ({"learnRate": 0}, {"alpha": 1.0}, {"momRate": 2.0}, {"epsilon": -1e-4}):
        with pytest.raises(OptimizerError, match="RMSPropGraves"):
            RMSPropGraves(**kwargs)
