import math

import numpy as np
import pytest

from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Optimizers import AdaDelta
from tests.Optimizers._helpers import checkAgainstReference, makeModule


def _adadelta(w, g, st, t, rho, eps, scale=1.0):
    msg = rho * st.get("msg", 0.0) + (1 - rho) * g * g
    dx = math.sqrt(st.get("msdx", 0.0) + eps) / math.sqrt(msg + eps) * g
    st["msg"] = msg
    st["msdx"] = rho * st.get("msdx", 0.0) + (1 - rho) * dx * dx
    return w + scale * dx


def test_two_steps_by_hand():
    # rho = 0.5, eps = 0.01, W = 0.5, g1 = 0.2:
    # msg = 0.02; dx = sqrt(0.01) / sqrt(0.03) * 0.2 = 0.2 / sqrt(3); msdx = 0.5 * 0.04 / 3 = 1/150
    # g2 = 0.2: msg = 0.03; dx = sqrt(1/150 + 0.01) / sqrt(0.04) * 0.2 = sqrt(1/60)
    mod = makeModule()
    opt = AdaDelta(rho=0.5, epsilon=0.01)
    opt.setupOn(mod)
    W = mod.vars["W"]
    W.grad.set(np.array([0.2, 0.0, 0.0]))
    opt.update()
    w1 = 0.5 + 0.2 / math.sqrt(3.0)
    assert W.data.get()[0] == pytest.approx(w1, abs=1e-15)
    W.grad.set(np.array([0.2, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(w1 + math.sqrt(1.0 / 60.0), abs=1e-15)


def test_matches_reference():
    checkAgainstReference(lambda: AdaDelta(rho=0.9, epsilon=1e-3), _adadelta, {"rho": 0.9, "eps": 1e-3})


def test_per_variable_learnRate_scales_the_step():
    checkAgainstReference(lambda: AdaDelta(), _adadelta, {"rho": 0.95, "eps": 1e-6, "scale": 0.5},
                          {"rho": 0.95, "eps": 1e-6}, multipliers={"W": (0.5, 0.5)})


def test_defaults_and_validation():
    opt = AdaDelta()
    assert (opt.rho, opt.epsilon, opt.learnRate) == (0.95, 1e-6, 1.0)
    for kwargs in ({"rho": 1.0}, {"rho": -0.1}, {"epsilon": -1e-6}, {"epsilon": float("nan")}):
        with pytest.raises(OptimizerError, match="AdaDelta"):
            AdaDelta(**kwargs)
