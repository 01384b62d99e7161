import math

import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules.Gelu import Gelu
from tests.gradcheck import checkModule


@pytest.mark.parametrize("shape", [(3, 4), (2, 2, 3)])
@pytest.mark.parametrize("inplace", [False, True])
def test_gradients(shape, inplace):
    checkModule(Gelu(inplace=inplace), 2 * np.random.randn(*shape))


def test_values_are_the_erf_form():
    xs = np.linspace(-4, 4, 17)
    exact = np.array([0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in xs])
    np.testing.assert_allclose(Gelu()(to_gpu(xs.astype(np.float32))).get(), exact, rtol=1e-6, atol=1e-7)
    mod = Gelu()
    mod.calcMode(np.float64)
    np.testing.assert_allclose(mod(to_gpu(xs)).get(), exact, rtol=1e-14, atol=1e-15)
    x = to_gpu(xs.astype(np.float32))
    assert Gelu(inplace=True)(x) is x
    np.testing.assert_allclose(x.get(), exact, rtol=1e-6, atol=1e-7)


def test_gradient_by_hand_at_one():
    # Phi(1) + 1 * exp(-1/2) / sqrt(2 pi) = 0.841345 + 0.241971
    mod = Gelu()
    mod.calcMode(np.float64)
    mod(to_gpu(np.array([1.0])))
    back = mod.backward(to_gpu(np.array([2.0]))).get()
    assert back.item() == pytest.approx(2.0 * (0.5 * (1 + math.erf(1 / math.sqrt(2))) + math.exp(-0.5) / math.sqrt(2 * math.pi)))
    assert back.item() == pytest.approx(2.0 * 1.0833155, rel=1e-7)
