import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.Abs import Abs
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def test_hand_values():
    err, grad = Abs()(to_gpu(np.array([[0.0, 3.0], [1.0, -1.0]], np.float32)),
                      to_gpu(np.array([[1.0, 1.0], [1.0, 1.0]], np.float32)))
    assert err == pytest.approx((1 + 2 + 0 + 2) / 4)
    np.testing.assert_array_equal(grad.get(), [[0.25, -0.25], [0.0, 0.25]])


@pytest.mark.parametrize("shape", [(4,), (3, 2, 2)])
def test_gradient_by_finite_differences(shape):
    pred, target = np.random.randn(*shape), np.random.randn(*shape)
    err, _ = checkCostGrad(Abs(), pred, target)
    assert err == pytest.approx(np.abs(target - pred).mean())


def test_errors():
    with pytest.raises(CostError, match=r"Abs.*shape \(2, 3\).*\(2, 2\)"):
        Abs()(to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros((2, 2), np.float32)))
