import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.SVM import SVM
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def _hand(s, y, mode):
    total = 0.0
    for i in range(s.shape[0]):
        for j in range(s.shape[1]):
            if j != y[i]:
                m = max(0.0, 1 + s[i, j] - s[i, y[i]])
                total += m if mode == "l1" else m * m
    return total / s.shape[0]


def test_hand_values():
    s = np.array([[1.0, 0.5, -2.0], [0.0, 0.2, 0.1]], np.float32)
    y = np.array([0, 2], np.int32)
    err, grad = SVM()(to_gpu(s), to_gpu(y))
    # sample 0: margins 0.5, 0 -> 0.5; sample 1: margins 0.9, 1.1 -> 2.0
    assert err == pytest.approx((0.5 + 2.0) / 2)
    np.testing.assert_allclose(grad.get(), [[0.5, -0.5, 0.0], [-0.5, -0.5, 1.0]])
    err2, _ = SVM("l2")(to_gpu(s), to_gpu(y))
    assert err2 == pytest.approx((0.25 + 0.81 + 1.21) / 2, rel=1e-5)


@pytest.mark.parametrize("mode", ["l1", "l2"])
def test_gradient_by_finite_differences(mode):
    s = np.random.randn(4, 3)
    y = np.random.randint(0, 3, size=4).astype(np.int32)
    err, _ = checkCostGrad(SVM(mode), s, y)
    assert err == pytest.approx(_hand(s, y, mode))


def test_validate_error_rate():
    rate = SVM().validate(to_gpu(np.array([[1, 0], [1, 0], [0, 1]], np.float32)), to_gpu(np.array([0, 1, 1], np.int32)))
    assert rate == pytest.approx(1 / 3)


def test_errors():
    with pytest.raises(CostError, match=r"SVM.*unknown mode 'l3'"):
        SVM("l3")
    with pytest.raises(CostError, match=r"SVM.*labels of shape \(2,\).*\(2, 3\), got \(3,\)"):
        SVM()(to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros(3, np.int32)))
