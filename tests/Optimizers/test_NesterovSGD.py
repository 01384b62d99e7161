import numpy as np
import pytest

from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Optimizers import NesterovSGD
from tests.Modules._jitpath import compiledKernels, numpyKernels, thisThreadKernels  # noqa: F401 (fixtures)
from tests.Optimizers._helpers import checkAgainstReference, checkCompiledUpdate, makeModule


def _nesterov(w, g, st, t, lr, mu):
    m = mu * st.get("m", 0.0) + lr * g
    st["m"] = m
    return w + mu * m + lr * g


def test_two_steps_by_hand():
    # W = 0.5, g1 = 0.1, g2 = -0.05, lr = 0.1, mu = 0.5:
    # m1 = 0.01; W1 = 0.5 + 0.5 * 0.01 + 0.01 = 0.515
    # m2 = 0.005 - 0.005 = 0; W2 = 0.515 + 0 - 0.005 = 0.51
    mod = makeModule()
    opt = NesterovSGD(learnRate=0.1, momRate=0.5)
    opt.setupOn(mod)
    W = mod.vars["W"]
    W.grad.set(np.array([0.1, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(0.515, abs=1e-15)
    W.grad.set(np.array([-0.05, 0.0, 0.0]))
    opt.update()
    assert W.data.get()[0] == pytest.approx(0.51, abs=1e-15)


def test_matches_reference():
    checkAgainstReference(lambda: NesterovSGD(learnRate=0.1, momRate=0.9), _nesterov, {"lr": 0.1, "mu": 0.9})


def test_per_variable_multipliers():
    checkAgainstReference(lambda: NesterovSGD(learnRate=0.1, momRate=0.9), _nesterov,
                          {"lr": 0.1 * 0.5, "mu": 0.9 * 0.25}, {"lr": 0.1, "mu": 0.9},
                          multipliers={"W": (0.5, 0.25)})


def test_defaults_and_validation():
    opt = NesterovSGD()
    assert (opt.learnRate, opt.momRate) == (1e-3, 0.9)
    for kwargs in ({"learnRate": 0}, {"learnRate": -1.0}, {"momRate": 1.0}, {"momRate": -0.1}, {"momRate": "x"}):
        with pytest.raises(OptimizerError, match="NesterovSGD"):
            NesterovSGD(**kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("useGlobalState", [False, True])
@pytest.mark.parametrize("path", ["compiledKernels", "thisThreadKernels"])
def test_compiled_update_gives_the_numpy_paths_numbers(path, useGlobalState, dtype, request, monkeypatch):
    checkCompiledUpdate(lambda: NesterovSGD(learnRate=0.05, momRate=0.9), "nesterovUpdate", path, useGlobalState, dtype, request, monkeypatch)
