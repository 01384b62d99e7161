import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.Hinge import Hinge
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def test_hand_values_and_zero_one_labels():
    s = np.array([[0.5, 2.0], [-3.0, 0.2]], np.float32)
    err, grad = Hinge()(to_gpu(s), to_gpu(np.array([[1, -1], [-1, 1]], np.int32)))
    assert err == pytest.approx((0.5 + 3.0 + 0.0 + 0.8) / 4)
    np.testing.assert_allclose(grad.get(), [[0.25, -0.25], [0.0, 0.25]])
    err01, _ = Hinge()(to_gpu(s), to_gpu(np.array([[1, 0], [0, 1]], np.int32)))
    assert err01 == pytest.approx(err)


@pytest.mark.parametrize("shape", [(5,), (2, 3)])
def test_gradient_by_finite_differences(shape):
    s = np.random.randn(*shape)
    t = np.where(np.random.rand(*shape) > 0.5, 1.0, -1.0)
    err, _ = checkCostGrad(Hinge(), s, t)
    assert err == pytest.approx(np.maximum(0, 1 - t * s).mean())


def test_validate_gives_the_hinge_error_as_upstream():
    error = Hinge().validate(to_gpu(np.array([1.0, -1.0, 0.5], np.float32)), to_gpu(np.array([1, 1, -1], np.int32)))
    assert error == pytest.approx((0.0 + 2.0 + 1.5) / 3)  # max(0, 1 - y s) per element, mean


def test_errors():
    with pytest.raises(CostError, match=r"Hinge.*floating-point scores, got dtype int32"):
        Hinge()(to_gpu(np.zeros(2, np.int32)), to_gpu(np.zeros(2, np.int32)))
