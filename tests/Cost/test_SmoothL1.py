import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.SmoothL1 import SmoothL1
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def _hand(pred, target):
    d = np.abs(target - pred)
    return np.where(d < 1, 0.5 * d ** 2, d - 0.5).mean()


def test_hand_values():
    pred = np.array([0.0, 0.0, 0.0, 0.0], np.float32)
    target = np.array([0.5, -0.5, 3.0, -2.0], np.float32)
    err, grad = SmoothL1()(to_gpu(pred), to_gpu(target))
    assert err == pytest.approx((0.125 + 0.125 + 2.5 + 1.5) / 4)
    np.testing.assert_allclose(grad.get(), [0.125, -0.125, 0.25, -0.25])


@pytest.mark.parametrize("shape", [(5,), (2, 3, 2)])
def test_gradient_by_finite_differences(shape):
    pred, target = 2 * np.random.randn(*shape), np.random.randn(*shape)
    err, _ = checkCostGrad(SmoothL1(), pred, target)
    assert err == pytest.approx(_hand(pred, target))


def test_errors():
    with pytest.raises(CostError, match=r"SmoothL1.*dtype float32, got float64"):
        SmoothL1()(to_gpu(np.zeros(2, np.float32)), to_gpu(np.zeros(2, np.float64)))
