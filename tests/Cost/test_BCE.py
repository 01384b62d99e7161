import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.BCE import BCE
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def _hand(s, t):
    p = 1 / (1 + np.exp(-s))
    return np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p))


def test_hand_values():
    s = np.array([[2.0], [-1.0], [0.0]], np.float32)
    t = np.array([1, 0, 1], np.int32)
    err, grad = BCE()(to_gpu(s), to_gpu(t))
    p = 1 / (1 + np.exp(-s.ravel()))
    assert err == pytest.approx((-np.log(p[0]) - np.log(1 - p[1]) - np.log(p[2])) / 3, rel=1e-6)
    np.testing.assert_allclose(grad.get().ravel(), (t - p) / 3, rtol=1e-6)


def test_stable_for_large_scores():
    err, grad = BCE()(to_gpu(np.array([100.0, -100.0], np.float32)), to_gpu(np.array([0.0, 1.0], np.float32)))
    assert err == pytest.approx(100.0)
    assert np.isfinite(grad.get()).all()


@pytest.mark.parametrize("shape", [(4,), (3, 2)])
def test_gradient_by_finite_differences(shape):
    s, t = np.random.randn(*shape), np.random.rand(*shape)
    err, _ = checkCostGrad(BCE(), s, t)
    assert err == pytest.approx(_hand(s, t))


def test_validate_error_rate():
    bce = BCE()
    rate = bce.validate(to_gpu(np.array([1.0, -1.0, 2.0, -0.5], np.float32)), to_gpu(np.array([1, 1, 0, 0], np.int32)))
    assert rate == pytest.approx(0.5)


def test_errors():
    with pytest.raises(CostError, match=r"BCE.*shape \(4, 2\), got \(4,\)"):
        BCE()(to_gpu(np.zeros((4, 2), np.float32)), to_gpu(np.zeros(4, np.int32)))
    with pytest.raises(CostError, match=r"BCE.*float32 or integer labels, got float64"):
        BCE()(to_gpu(np.zeros(4, np.float32)), to_gpu(np.zeros(4, np.float64)))


def test_refuses_targets_outside_0_1():
    s = to_gpu(np.zeros((3, 1), np.float32))
    # a label 2 (or a float 1.5) used to be taken at face value: log(2) error, gradient (t - 0.5) / N
    with pytest.raises(CostError, match=r"BCE.*\[0, 1\].*got values in \[0, 2\]"):
        BCE()(s, to_gpu(np.array([0, 2, 1], np.int32)))
    with pytest.raises(CostError, match=r"BCE.*\[-0.5, 1\]"):
        BCE()(s, to_gpu(np.array([[-0.5], [1.0], [0.0]], np.float32)))
    with pytest.raises(CostError, match=r"BCE.*\[0, 1\]"):
        BCE().validate(s, to_gpu(np.array([0, 3, 1], np.int32)))
    # the ends of the range are fine: sigmoid(0) = 0.5 against 0, 1 and 0.25
    err, grad = BCE()(s, to_gpu(np.array([[0.0], [1.0], [0.25]], np.float32)))
    assert err == pytest.approx(np.log(2.0), rel=1e-6)
    np.testing.assert_allclose(grad.get().ravel(), np.array([-0.5, 0.5, -0.25]) / 3, rtol=1e-6)


def test_maps_of_one_channel_take_labels_without_the_channel_axis():
    # PuzzleLib 1.0: scores (N, 1, H, W) against labels (N, H, W), as a segmentation net gives them
    s = np.random.randn(3, 1, 2, 2)
    t = np.random.randint(0, 2, size=(3, 2, 2)).astype(np.int32)
    err, grad = BCE()(to_gpu(s.astype(np.float32)), to_gpu(t))
    assert grad.shape == (3, 1, 2, 2)
    assert err == pytest.approx(_hand(s[:, 0], t), rel=1e-5)
    p = 1 / (1 + np.exp(-s))
    np.testing.assert_allclose(grad.get(), (t[:, None] - p) / s.size, rtol=1e-5, atol=1e-7)
    checkCostGrad(BCE(), s, t.astype(np.float64))
    with pytest.raises(CostError, match=r"BCE.*shape \(3, 2, 2, 2\), got \(3, 2, 2\)"):
        BCE()(to_gpu(np.zeros((3, 2, 2, 2), np.float32)), to_gpu(t))
