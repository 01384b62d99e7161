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
            c = 1.0 if j == y[i] else -1.0
            m = max(0.0, 1 - c * s[i, j])
            total += m if mode == "l1" else m * m
    return total / s.size


def test_hand_values():
    # one-vs-all, as PuzzleLib 1.0: target +1 for the label's score, -1 for the others
    s = np.array([[1.0, 0.5, -2.0], [0.0, 0.2, 0.1]], np.float32)
    y = np.array([0, 2], np.int32)
    err, grad = SVM()(to_gpu(s), to_gpu(y))
    # sample 0: margins 0, 1.5, 0; sample 1: margins 1, 1.2, 0.9
    assert err == pytest.approx((1.5 + 1.0 + 1.2 + 0.9) / 6, rel=1e-6)
    np.testing.assert_allclose(grad.get(), np.array([[0, -1, 0], [-1, -1, 1]]) / 6, rtol=1e-6)
    err2, grad2 = SVM("l2")(to_gpu(s), to_gpu(y))
    assert err2 == pytest.approx((2.25 + 1.0 + 1.44 + 0.81) / 6, rel=1e-5)
    np.testing.assert_allclose(grad2.get(), 2 * np.array([[0, -1.5, 0], [-1, -1.2, 0.9]]) / 6, rtol=1e-5)


@pytest.mark.parametrize("mode", ["l1", "l2"])
def test_gradient_by_finite_differences(mode):
    s = np.random.randn(4, 3)
    y = np.random.randint(0, 3, size=4).astype(np.int32)
    err, _ = checkCostGrad(SVM(mode), s, y)
    assert err == pytest.approx(_hand(s, y, mode))


def test_validate_error_rate():
    svm = SVM()
    rate = svm.validate(to_gpu(np.array([[1, 0], [1, 0], [0, 1]], np.float32)), to_gpu(np.array([0, 1, 1], np.int32)))
    assert rate == pytest.approx(1 / 3)
    np.testing.assert_array_equal(svm.mostProb.get(), [0, 0, 1])


def test_errors():
    with pytest.raises(CostError, match=r"SVM.*unknown mode 'l3'"):
        SVM("l3")
    with pytest.raises(CostError, match=r"SVM.*labels of shape \(2,\).*\(2, 3\), got \(3,\)"):
        SVM()(to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros(3, np.int32)))
