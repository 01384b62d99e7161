import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import Penalty
from tests.gradcheck import numericalGrad


def _penalty(mode, weight, x):
    n = x.shape[0]
    return weight * (np.abs(x).sum() if mode == "l1" else 0.5 * (x * x).sum()) / n


@pytest.mark.parametrize("mode", ["l1", "l2"])
@pytest.mark.parametrize("shape", [(1, 3), (4, 2, 3)])
def test_gradient_is_descent_direction_of_output_term_plus_penalty(mode, shape):
    mod = Penalty(mode=mode, weight=0.3)
    mod.calcMode(np.float64)
    x = np.random.randn(*shape)
    g = np.random.randn(*shape)
    out = mod(to_gpu(x))
    np.testing.assert_array_equal(out.get(), x)
    analytic = mod.backward(to_gpu(g)).get()
    # the descent direction of E = -sum(y * g) + P(x), i.e. d/dx [sum(x * g) - P(x)]
    numeric = numericalGrad(lambda: float(np.sum(x * g)) - _penalty(mode, 0.3, x), x, 1e-6)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
    assert mod.getPenalty() == pytest.approx(_penalty(mode, 0.3, x))


def test_bad_arguments():
    with pytest.raises(ModuleError, match=r"Penalty: unknown mode 'l3'"):
        Penalty(mode="l3")
    with pytest.raises(ModuleError, match=r"weight must be non-negative"):
        Penalty(weight=-1.0)


def test_list_input_is_refused():
    with pytest.raises(ModuleError, match=r"Penalty: expected one array, got a list of 2"):
        Penalty()([to_gpu(np.zeros((1, 2), np.float32))] * 2)
