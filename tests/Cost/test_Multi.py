import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.CrossEntropy import CrossEntropy
from PuzzleLib.Cost.MSE import MSE
from PuzzleLib.Cost.Multi import Multi
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def test_sum_of_errors_and_list_of_grads():
    out = np.random.randn(3, 2).astype(np.float32)
    target = np.random.randn(3, 2).astype(np.float32)
    scores = np.random.randn(3, 4).astype(np.float32)
    labels = np.array([0, 3, 1], np.int32)
    cost = Multi().append(MSE()).append(CrossEntropy())
    err, (g1, g2) = cost([to_gpu(out), to_gpu(scores)], [to_gpu(target), to_gpu(labels)])
    e1, h1 = MSE()(to_gpu(out), to_gpu(target))
    e2, h2 = CrossEntropy()(to_gpu(scores), to_gpu(labels))
    assert err == pytest.approx(e1 + e2, rel=1e-6)
    np.testing.assert_allclose(g1.get(), h1.get())
    np.testing.assert_allclose(g2.get(), h2.get())
    assert cost.getMeanError() == pytest.approx(e1 + e2, rel=1e-6)
    assert cost.validate([to_gpu(out), to_gpu(scores)], [to_gpu(target), to_gpu(labels)]) == pytest.approx(
        MSE().validate(to_gpu(out), to_gpu(target)) + CrossEntropy().validate(to_gpu(scores), to_gpu(labels)))


def test_gradient_by_finite_differences():
    cost = Multi().append(MSE()).append(MSE())
    checkCostGrad(cost, [np.random.randn(2, 2), np.random.randn(3)], [np.random.randn(2, 2), np.random.randn(3)])


def test_errors():
    x = to_gpu(np.zeros((2, 3), np.float32))
    with pytest.raises(CostError, match=r"Multi.*no costs"):
        Multi()([x], [x])
    cost = Multi().append(MSE()).append(MSE())
    with pytest.raises(CostError, match=r"Multi.*list of 2 arrays as prediction.*got a list of 1"):
        cost([x], [x, x])
    with pytest.raises(CostError, match=r"Multi.*cost 1 \(MSE\).*shape \(2, 3\), got \(2, 2\)"):
        cost([x, x], [x, to_gpu(np.zeros((2, 2), np.float32))])
    with pytest.raises(CostError, match=r"Multi.*append expects a Cost"):
        Multi().append("mse")
