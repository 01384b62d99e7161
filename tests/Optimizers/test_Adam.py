import math

import numpy as np
import pytest

from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Optimizers import Adam
from tests.Modules._jitpath import compiledKernels, numpyKernels, thisThreadKernels  # noqa: F401 (fixtures)
from tests.Optimizers._helpers import checkAgainstReference, checkCompiledUpdate, makeModule


def _adam(w, g, st, t, alpha, b1, b2, eps):
    m = b1 * st.get("m", 0.0) + (1 - b1) * g
    v = b2 * st.get("v", 0.0) + (1 - b2) * g * g
    st["m"], st["v"] = m, v
    stepSize = alpha * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w + stepSize * m / (math.sqrt(v) + eps)


def test_two_steps_by_hand():
    # With bias correction the first step is alpha * g / (|g| + eps'): about alpha * sign(g).
    # W = 0.5, g1 = 0.1, alpha = 0.01, eps = 0: W1 = 0.5 + 0.01 = 0.51.
    # Step 2 with g2 = 0.1 again: m = 0.019, v = 0.0001999 * 0.01 ... the ratio m_hat / sqrt(v_hat) = 1,
    # so W2 = 0.52.
    mod = makeModule()
    opt = Adam(alpha=0.01, beta1=0.9, beta2=0.999, epsilon=1e-300)
    opt.setupOn(mod, useGlobalState=True)
    W = mod.vars["W"]
    W.grad.set(np.array([0.1, -0.2, 0.0]))
    opt.update()
    np.testing.assert_allclose(W.data.get(), [0.51, -1.01, 2.0], rtol=1e-12)
    W.grad.set(np.array([0.1, -0.2, 0.0]))
    opt.update()
    np.testing.assert_allclose(W.data.get(), [0.52, -1.02, 2.0], rtol=1e-12)


def test_matches_reference():
    checkAgainstReference(lambda: Adam(alpha=0.05, beta1=0.8, beta2=0.9, epsilon=1e-3), _adam,
                          {"alpha": 0.05, "b1": 0.8, "b2": 0.9, "eps": 1e-3})


def test_per_variable_learnRate_multiplies_alpha():
    checkAgainstReference(lambda: Adam(alpha=0.05), _adam,
                          {"alpha": 0.05 * 0.5, "b1": 0.9, "b2": 0.999, "eps": 1e-8},
                          {"alpha": 0.05, "b1": 0.9, "b2": 0.999, "eps": 1e-8},
                          multipliers={"W": (0.5, 0.3)})


def test_learnRate_is_alpha():
    opt = Adam(alpha=0.02)
    assert opt.learnRate == 0.02
    opt.learnRate = 0.5
    assert opt.alpha == 0.5


def test_defaults_and_validation():
    opt = Adam()
    assert (opt.alpha, opt.beta1, opt.beta2, opt.epsilon) == (1e-3, 0.9, 0.999, 1e-8)
    for kwargs in ({"alpha": 0}, {"beta1": 1.0}, {"beta2": -0.5}, {"epsilon": -1e-8}, {"alpha": None}):
        with pytest.raises(OptimizerError, match="Adam"):
            Adam(**kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("useGlobalState", [False, True])
@pytest.mark.parametrize("path", ["compiledKernels", "thisThreadKernels"])
def test_compiled_update_gives_the_numpy_paths_numbers(path, useGlobalState, dtype, request, monkeypatch):
    checkCompiledUpdate(lambda: Adam(alpha=0.01), "adamUpdate", path, useGlobalState, dtype, request, monkeypatch)
