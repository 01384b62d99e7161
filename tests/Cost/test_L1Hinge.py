import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.L1Hinge import L1Hinge
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def _hand(x1, x2, y):
    d = np.abs(x1 - x2)
    return np.mean(np.where(y[:, None] > 0, d, np.maximum(0, 1 - d)))


def test_hand_values():
    # element by element, as PuzzleLib 1.0: a 'same' element costs |d|, a 'different' one max(0, 1 - |d|)
    x1 = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]], np.float32)
    x2 = np.array([[0.25, 0.0], [0.5, 1.0], [2.0, 0.5]], np.float32)
    y = np.array([0, 1, 0], np.int32)
    err, (g1, g2) = L1Hinge()([to_gpu(x1), to_gpu(x2)], to_gpu(y))
    assert err == pytest.approx((0.75 + 1.0 + 0.5 + 0.0 + 0.0 + 0.5) / 6)
    # the negative gradient of that error (d = x1 - x2; sign(0) taken as -1)
    np.testing.assert_allclose(g1.get(), np.array([[-1, -1], [-1, 1], [0, -1]]) / 6, atol=1e-7)
    np.testing.assert_allclose(g2.get(), -g1.get())


def test_gradient_by_finite_differences_and_accumulator():
    x1, x2 = 0.3 * np.random.randn(4, 3), 0.3 * np.random.randn(4, 3)
    y = np.array([1, 0, 1, 0], np.int32)
    cost = L1Hinge()
    err, _ = checkCostGrad(cost, [x1, x2], y)
    assert err == pytest.approx(_hand(x1, x2, y))
    cost.resetAccumulator()
    cost([to_gpu(x1), to_gpu(x2)], to_gpu(y))
    assert cost.getMeanError() == pytest.approx(err)


def test_validate_error_rate():
    # 'same' when the mean |x1 - x2| over the elements is at most 1
    x1 = to_gpu(np.zeros((3, 2), np.float32))
    x2 = to_gpu(np.array([[0.1, 0.0], [1.5, 0.5], [3.0, 0.0]], np.float32))
    assert L1Hinge().validate([x1, x2], to_gpu(np.array([1, 0, 1], np.int32))) == pytest.approx(2 / 3)


def test_errors():
    x = to_gpu(np.zeros((2, 3), np.float32))
    with pytest.raises(CostError, match=r"L1Hinge.*pair \[x1, x2\]"):
        L1Hinge()(x, to_gpu(np.zeros(2, np.int32)))
    with pytest.raises(CostError, match=r"L1Hinge.*one shape, got \(2, 3\) and \(2, 2\)"):
        L1Hinge()([x, to_gpu(np.zeros((2, 2), np.float32))], to_gpu(np.zeros(2, np.int32)))
    with pytest.raises(CostError, match=r"L1Hinge.*labels of shape \(2,\).*got \(3,\)"):
        L1Hinge()([x, x], to_gpu(np.zeros(3, np.int32)))
