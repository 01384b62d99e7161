import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.SoftMax import SoftMax
from tests.gradcheck import checkModule


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2), (1, 2, 2, 2)])
def test_gradients(shape):
    checkModule(SoftMax(), np.random.randn(*shape))


def test_values_over_axis_1_and_stable():
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]], np.float32)
    y = SoftMax()(to_gpu(x)).get()
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(y[0], e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(y[1], 1 / 3, rtol=1e-6)
    y = SoftMax()(to_gpu(np.random.randn(2, 3, 4).astype(np.float32))).get()
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=1e-6)


def test_errors():
    with pytest.raises(ModuleError, match=r"SoftMax 's'.*\(N, C\[, \.\.\.\]\).*\(5,\)"):
        SoftMax(name="s")(to_gpu(np.zeros(5, np.float32)))
