import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost import MSE, CostError
from tests.gradcheck import numericalGrad


def _pair(shape, dtype=np.float32):
    return np.random.randn(*shape).astype(dtype), np.random.randn(*shape).astype(dtype)


def test_hand_computed_values():
    pred = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    target = np.array([[1.5, 2.0], [2.0, 6.0]], np.float32)
    # diffs target - pred: 0.5, 0, -1, 2 ; squares 0.25, 0, 1, 4 -> sum 5.25, N = 4
    error, grad = MSE()(to_gpu(pred), to_gpu(target))
    assert error == pytest.approx(0.5 * 5.25 / 4)
    np.testing.assert_allclose(grad.get(), [[0.125, 0.0], [-0.25, 0.5]])
    assert grad.dtype == np.float32 and grad.shape == (2, 2)


def test_doc_example():
    error, grad = MSE()(to_gpu(np.zeros((2, 1), np.float32)), to_gpu(np.ones((2, 1), np.float32)))
    assert error == pytest.approx(0.5)
    np.testing.assert_allclose(grad.get().ravel(), [0.5, 0.5])


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (2, 3, 4)])
def test_against_formula(shape):
    pred, target = _pair(shape)
    mse = MSE()
    error, grad = mse(to_gpu(pred), to_gpu(target))
    d = target.astype(np.float64) - pred
    n = d.size
    assert error == pytest.approx(0.5 * np.mean(d ** 2), rel=1e-5)
    np.testing.assert_allclose(grad.get(), d / n, rtol=1e-5, atol=1e-8)
    assert mse.getError() == pytest.approx(error)
    assert isinstance(mse.getError(), float)


def test_queryError_false_returns_only_grad():
    pred, target = _pair((3, 2))
    mse = MSE()
    grad = mse(to_gpu(pred), to_gpu(target), queryError=False)
    np.testing.assert_allclose(grad.get(), (target - pred) / 6, rtol=1e-5)
    assert mse.getError() == pytest.approx(0.5 * np.mean((target.astype(np.float64) - pred) ** 2), rel=1e-5)


@pytest.mark.parametrize("shape", [(3, 2), (2, 2, 3)])
def test_grad_is_negative_gradient_by_finite_differences(shape):
    pred, target = _pair(shape, np.float64)
    _, grad = MSE()(to_gpu(pred), to_gpu(target))

    def error():
        return float(MSE().validate(to_gpu(pred), to_gpu(target)))

    numeric = numericalGrad(error, pred, 1e-6)
    np.testing.assert_allclose(grad.get(), -numeric, rtol=1e-6, atol=1e-10)


def test_getMeanError_is_sample_weighted():
    mse = MSE()
    assert mse.getError() is None
    assert mse.getMeanError() == 0.0
    errors, sizes = [], [3, 5, 1]
    for n in sizes:
        pred, target = _pair((n, 2))
        err, _ = mse(to_gpu(pred), to_gpu(target))
        errors.append(err)
    expected = sum(e * n for e, n in zip(errors, sizes)) / sum(sizes)
    assert mse.getMeanError() == pytest.approx(expected, rel=1e-6)
    assert mse.getError() == pytest.approx(errors[-1])
    # not the plain mean of batch errors
    assert abs(np.mean(errors) - expected) > 1e-6


def test_resetAccumulator():
    mse = MSE()
    pred, target = _pair((4, 1))
    mse(to_gpu(pred), to_gpu(target))
    mse.resetAccumulator()
    assert mse.getMeanError() == 0.0
    pred, target = _pair((2, 1))
    err, _ = mse(to_gpu(pred), to_gpu(target))
    assert mse.getMeanError() == pytest.approx(err)


def test_validate_gives_error_without_grad_and_accumulates():
    mse = MSE()
    pred, target = _pair((4, 3))
    val = mse.validate(to_gpu(pred), to_gpu(target))
    assert isinstance(val, float)
    assert val == pytest.approx(0.5 * np.mean((target.astype(np.float64) - pred) ** 2), rel=1e-5)
    assert mse.getError() == pytest.approx(val)
    pred2, target2 = _pair((2, 3))
    val2 = mse.validate(to_gpu(pred2), to_gpu(target2))
    assert mse.getMeanError() == pytest.approx((4 * val + 2 * val2) / 6, rel=1e-6)


def test_inputs_unchanged():
    pred, target = _pair((3, 2))
    p, t = to_gpu(pred), to_gpu(target)
    MSE()(p, t)
    np.testing.assert_array_equal(p.get(), pred)
    np.testing.assert_array_equal(t.get(), target)


def test_shape_mismatch_names_cost_expected_and_given():
    mse = MSE()
    with pytest.raises(CostError, match=r"MSE.*\(4, 1\).*\(4, 2\)"):
        mse(to_gpu(np.zeros((4, 1), np.float32)), to_gpu(np.zeros((4, 2), np.float32)))
    with pytest.raises(CostError, match=r"MSE.*\(4, 1\).*\(4,\)"):
        mse.validate(to_gpu(np.zeros((4, 1), np.float32)), to_gpu(np.zeros((4,), np.float32)))
    assert mse.getMeanError() == 0.0


def test_dtype_mismatch_names_cost_expected_and_given():
    with pytest.raises(CostError, match=r"MSE.*float32.*float64"):
        MSE()(to_gpu(np.zeros((4, 1), np.float32)), to_gpu(np.zeros((4, 1), np.float64)))


def test_integer_predictions_are_refused():
    # were a raw numpy UFuncTypeError (the gradient can't be written into an int32 buffer)
    ints = to_gpu(np.array([[1], [2]], np.int32))
    mse = MSE()
    with pytest.raises(CostError, match=r"MSE: expected a floating-point prediction, got dtype int32"):
        mse(ints, ints)
    with pytest.raises(CostError, match=r"MSE: expected a floating-point prediction, got dtype int32"):
        mse.validate(ints, ints)
    assert mse.getMeanError() == 0.0 and mse.getError() is None


def test_non_arrays_are_refused():
    with pytest.raises(CostError, match=r"MSE.*device arrays.*list"):
        MSE()([[1.0]], to_gpu(np.zeros((1, 1), np.float32)))


def test_a_good_call_after_a_refused_one():
    mse = MSE()
    with pytest.raises(CostError):
        mse(to_gpu(np.zeros((2, 1), np.float32)), to_gpu(np.zeros((2, 2), np.float32)))
    err, _ = mse(to_gpu(np.zeros((2, 1), np.float32)), to_gpu(np.ones((2, 1), np.float32)))
    assert err == pytest.approx(0.5)
    assert mse.getMeanError() == pytest.approx(0.5)


@pytest.mark.parametrize("shape", [(), (0, 3)])
def test_a_prediction_without_samples_is_refused(shape):
    pred = to_gpu(np.zeros(shape, np.float32))
    with pytest.raises(CostError, match=r"MSE: expected a prediction with a non-empty batch axis"):
        MSE()(pred, to_gpu(np.zeros(shape, np.float32)))
