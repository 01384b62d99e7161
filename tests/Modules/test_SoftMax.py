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


def test_a_gradient_with_trailing_unit_axes_is_taken_as_the_output_shaped_one():
    x = np.random.randn(2, 3, 1).astype(np.float32)
    g = np.random.randn(2, 3, 1).astype(np.float32)
    plain = SoftMax()
    plain(to_gpu(x))
    expected = plain.backward(to_gpu(g)).get()
    mod = SoftMax()
    mod(to_gpu(x))
    got = mod.backward(to_gpu(g.reshape(2, 3, 1, 1)))
    assert got.shape == (2, 3, 1)
    np.testing.assert_allclose(got.get(), expected, rtol=1e-6)


def test_a_gradient_of_another_size_is_still_refused():
    mod = SoftMax()
    mod(to_gpu(np.zeros((2, 3, 1), np.float32)))
    with pytest.raises(ModuleError, match=r"expected gradient of shape \(2, 3, 1\)"):
        mod.backward(to_gpu(np.zeros((2, 3, 2, 1), np.float32)))
