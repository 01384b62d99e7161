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


def test_values_close_to_erf_form():
    xs = np.linspace(-4, 4, 17).astype(np.float32)
    y = Gelu()(to_gpu(xs)).get()
    exact = np.array([0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in xs.astype(np.float64)])
    np.testing.assert_allclose(y, exact, atol=1e-3)
    x = to_gpu(xs.copy())
    assert Gelu(inplace=True)(x) is x
    np.testing.assert_allclose(x.get(), y, rtol=1e-6)
