import math

import numpy as np
import pytest

from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Optimizers import AdaGrad
from tests.Optimizers._helpers import checkAgainstReference, makeModule


def _adagrad(w, g, st, t, lr, eps):
    h = st.get("h", 0.0) + g * g
    st["h"] = h
    return w + lr * g / (math.sqrt(h) + eps)


def test_two_steps_by_hand():
    # W = 0.5, lr = 0.1, eps = 0; g1 = 0.3: h = 0.09, W1 = 0.5 + 0.1 * 0.3 / 0.3 = 0.6
    # g2 = 0.4: h = 0.25, W2 = 0.6 + 0.1 * 0.4 / 0.5 = 0.68
    mod = makeModule()
    opt = AdaGrad(learnRate=0.1, epsilon=1e-300)
    opt.setupOn(mod)
    W = mod.vars["W"]
    W.grad.set(np.array([0.3, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(0.6, abs=1e-15)
    W.grad.set(np.array([0.4, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(0.68, abs=1e-15)


def test_matches_reference():
    checkAgainstReference(lambda: AdaGrad(learnRate=0.1, epsilon=1e-2), _adagrad, {"lr": 0.1, "eps": 1e-2})


def test_per_variable_learnRate():
    checkAgainstReference(lambda: AdaGrad(learnRate=0.1), _adagrad, {"lr": 0.1 * 2.0, "eps": 1e-8},
                          {"lr": 0.1, "eps": 1e-8}, multipliers={"W": (2.0, 0.5)})


def test_defaults_and_validation():
    opt = AdaGrad()
    assert (opt.learnRate, opt.epsilon) == (1e-3, 1e-8)
    for kwargs in ({"learnRate": 0}, {"epsilon": -1.0}, {"epsilon": "a"}):
        with pytest.raises(OptimizerError, match="AdaGrad"):
            AdaGrad(**kwargs)
