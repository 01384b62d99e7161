import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.CrossEntropy import CrossEntropy
from PuzzleLib.Cost.MSE import MSE
from PuzzleLib.Cost.Multi import Multi
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def test_errors_and_grads_per_cost():
    out = np.random.randn(3, 2).astype(np.float32)
    target = np.random.randn(3, 2).astype(np.float32)
    scores = np.random.randn(3, 4).astype(np.float32)
    labels = np.array([0, 3, 1], np.int32)
    cost = Multi().append(MSE()).append(CrossEntropy())
    err, (g1, g2) = cost([to_gpu(out), to_gpu(scores)], [to_gpu(target), to_gpu(labels)])
    e1, h1 = MSE()(to_gpu(out), to_gpu(target))
    e2, h2 = CrossEntropy()(to_gpu(scores), to_gpu(labels))
    # one error per cost, as PuzzleLib 1.0's Multi gives them
    assert err == pytest.approx([e1, e2], rel=1e-6) and cost.error == err and cost.getError() == err
    np.testing.assert_allclose(g1.get(), h1.get())
    np.testing.assert_allclose(g2.get(), h2.get())
    assert cost.getMeanError() == pytest.approx([e1, e2], rel=1e-6)
    assert cost.validate([to_gpu(out), to_gpu(scores)], [to_gpu(target), to_gpu(labels)]) == pytest.approx(
        [MSE().validate(to_gpu(out), to_gpu(target)), CrossEntropy().validate(to_gpu(scores), to_gpu(labels))])


def test_gradient_by_finite_differences():
    cost = Multi().append(MSE()).append(MSE())
    checkCostGrad(cost, [np.random.randn(2, 2), np.random.randn(3)], [np.random.randn(2, 2), np.random.randn(3)],
                  errorOf=sum)


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


def test_trains_a_two_output_net_by_hand():
    from PuzzleLib.Containers import Parallel, Sequential
    from PuzzleLib.Modules import Linear, Replicate
    net = Sequential().append(Replicate(times=2)).append(Parallel().append(Linear(3, 2)).append(Linear(3, 4)))
    x = to_gpu(np.random.randn(64, 3).astype(np.float32))
    y = to_gpu((x.get() @ np.random.randn(3, 2)).astype(np.float32))
    labels = to_gpu(np.argmax(x.get() @ np.random.randn(3, 4), axis=1).astype(np.int32))
    cost = Multi().append(MSE()).append(CrossEntropy())
    history = []
    for _ in range(50):
        errors, grads = cost(net(x), [y, labels])
        history.append(errors)
        net.zeroGradParams()
        net.backward(grads)
        net.updateParams(0.5)
    assert len(history[-1]) == 2
    assert history[-1][0] < 0.2 * history[0][0] and history[-1][1] < 0.6 * history[0][1]
