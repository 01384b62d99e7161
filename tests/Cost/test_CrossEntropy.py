import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.CrossEntropy import CrossEntropy
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def _handCE(scores, labels, weights=None):
    classes = scores.shape[1]
    s = np.moveaxis(scores, 1, -1).reshape(-1, classes)
    y = labels.reshape(-1)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    w = np.ones(classes) if weights is None else np.asarray(weights)
    return float(np.mean(-logp[np.arange(y.size), y] * w[y]))


def test_hand_values():
    scores = np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]], np.float32)
    labels = np.array([1, 0], np.int32)
    err, grad = CrossEntropy()(to_gpu(scores), to_gpu(labels))
    # by hand: -log softmax([1, 2, .5])[1] and -log softmax([0, 0, 3])[0]
    e1 = -(2.0 - np.log(np.exp(1.0) + np.exp(2.0) + np.exp(0.5)))
    e2 = -(0.0 - np.log(2 + np.exp(3.0)))
    assert err == pytest.approx((e1 + e2) / 2, rel=1e-6)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad.get(), (np.eye(3)[labels] - p) / 2, rtol=1e-5)


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 2, 3)])
def test_gradient_by_finite_differences(shape):
    # PuzzleLib 1.0 divides the gradient by the batch size, the error by the number of positions:
    # with P positions per sample the gradient is P times the error's
    classes = shape[1]
    scores = np.random.randn(*shape)
    labels = np.random.randint(0, classes, size=shape[:1] + shape[2:]).astype(np.int32)
    positions = labels.size // shape[0]
    err, _ = checkCostGrad(CrossEntropy(), scores, labels, gradScale=positions)
    assert err == pytest.approx(_handCE(scores, labels), rel=1e-9)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 3)])
def test_weighted_error_and_gradient_against_hand_values(shape):
    # as PuzzleLib 1.0: the error weighs each position by its label's weight, the gradient weighs
    # each class's entry by that class's weight, divided by the batch size
    w = np.array([0.5, 1.0, 2.0])
    scores = np.random.randn(*shape)
    labels = np.random.randint(0, 3, size=shape[:1] + shape[2:]).astype(np.int32)
    err, grad = CrossEntropy(weights=w)(to_gpu(scores), to_gpu(labels))
    assert err == pytest.approx(_handCE(scores, labels, w), rel=1e-6)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    hot = np.moveaxis(np.eye(3)[labels], -1, 1)
    wc = w.reshape((1, 3) + (1,) * (len(shape) - 2))
    np.testing.assert_allclose(grad.get(), wc * (hot - p) / shape[0], rtol=1e-5, atol=1e-7)
    # not the error's gradient, but a descent direction: it has a positive product with -d error
    _, exact = checkCostGrad(CrossEntropy(), scores, labels, gradScale=labels.size // shape[0])
    assert float((grad.get() * exact).sum()) > 0


def test_validate_keeps_the_argmax_and_ignores_weights():
    scores = np.array([[[0.1], [0.0], [2.0]], [[3.0], [1.0], [-1.0]]], np.float32)
    labels = np.array([[2], [1]], np.int32)
    ce = CrossEntropy(weights=np.ones(7))  # 7 weights, 3 classes: weights are not used to validate
    assert ce.validate(to_gpu(scores), to_gpu(labels)) == pytest.approx(0.5)
    np.testing.assert_array_equal(ce.mostProb.get(), [[2], [0]])
    assert ce.mostProb.dtype == np.int32


def test_validate_is_error_rate_and_accumulates():
    ce = CrossEntropy(maxlabels=3)
    scores = to_gpu(np.array([[3, 1, 0], [0, 1, 3], [0, 3, 1], [2, 0, 1]], np.float32))
    labels = to_gpu(np.array([0, 1, 1, 2], np.int32))
    assert ce.validate(scores, labels) == pytest.approx(0.5)
    ce.resetAccumulator()
    ce(scores, labels)
    ce(scores[:2], labels[:2])
    e4 = _handCE(scores.get(), labels.get())
    e2 = _handCE(scores.get()[:2], labels.get()[:2])
    assert ce.getMeanError() == pytest.approx((4 * e4 + 2 * e2) / 6, rel=1e-5)


def test_errors_name_cost_and_shapes():
    ce = CrossEntropy()
    with pytest.raises(CostError, match=r"CrossEntropy.*labels of shape \(4,\).*\(4, 3\).*\(4, 3\)"):
        ce(to_gpu(np.zeros((4, 3), np.float32)), to_gpu(np.zeros((4, 3), np.int32)))
    with pytest.raises(CostError, match=r"CrossEntropy.*integer.*float32"):
        ce(to_gpu(np.zeros((4, 3), np.float32)), to_gpu(np.zeros((4,), np.float32)))
    with pytest.raises(CostError, match=r"CrossEntropy.*\[0, 3\).*\[0, 5\]"):
        ce(to_gpu(np.zeros((4, 3), np.float32)), to_gpu(np.array([0, 1, 2, 5], np.int32)))
    with pytest.raises(CostError, match=r"CrossEntropy.*maxlabels=4.*\(2, 3\)"):
        CrossEntropy(maxlabels=4)(to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros((2,), np.int32)))
    with pytest.raises(CostError, match=r"CrossEntropy.*maxlabels"):
        CrossEntropy(maxlabels=0)
    with pytest.raises(CostError, match=r"CrossEntropy.*2 class weights.*3 classes"):
        CrossEntropy(weights=[1, 2])(to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros((2,), np.int32)))


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 2, 2)])
@pytest.mark.parametrize("weights", [None, [0.5, 1.0, 2.0]])
def test_backend_kernel_matches_composed_form(shape, weights):
    from PuzzleLib.Backend import gpuarray
    from PuzzleLib.Cost.CrossEntropy import _crossEntropyGradError
    shape = shape[:1] + (3,) + shape[2:]
    scores = to_gpu(np.random.randn(*shape).astype(np.float32))
    labels = to_gpu(np.random.randint(0, 3, size=shape[:1] + shape[2:]).astype(np.int32))
    w = None if weights is None else to_gpu(np.array(weights, np.float32))
    g1, g2 = gpuarray.empty(shape, np.float32), gpuarray.empty(shape, np.float32)
    e1 = gpuarray.kernels.crossEntropyGradError(scores, labels, g1, w)
    e2 = _crossEntropyGradError(scores, labels, g2, w)
    assert e1 == pytest.approx(float(e2), rel=1e-5)
    np.testing.assert_allclose(g1.get(), g2.get(), rtol=1e-5, atol=1e-7)


def test_trains_a_classifier_with_dropout_through_handlers():
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Handlers import Trainer, Validator
    from PuzzleLib.Modules import Activation, Dropout, Linear
    from PuzzleLib.Optimizers import MomentumSGD

    # three Gaussian blobs in 2-d
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    labels = np.random.randint(0, 3, size=300).astype(np.int32)
    data = (centres[labels] + 0.4 * np.random.randn(300, 2)).astype(np.float32)

    net = Sequential().append(Linear(2, 16)).append(Activation("relu")).append(Dropout(0.2)).append(Linear(16, 3))
    cost = CrossEntropy()
    opt = MomentumSGD(learnRate=0.1)
    opt.setupOn(net, useGlobalState=True)
    trainer = Trainer(net, cost, opt, batchsize=32)
    for _ in range(15):
        trainer.trainFromHost(data, labels, macroBatchSize=300)
    assert cost.getMeanError() < 0.3
    rate = Validator(net, CrossEntropy(), batchsize=64).validateFromHost(data, labels)
    assert rate < 0.05
    assert not net[2].train  # the validator put the net in eval mode: dropout off


@pytest.mark.parametrize("weights", [[1.0, -0.5, 2.0], [1.0, float("nan"), 1.0], [float("inf"), 1.0, 1.0]])
def test_negative_or_non_finite_class_weights_are_refused(weights):
    # they were taken and gave a negative or nan error without a word
    with pytest.raises(CostError, match=r"CrossEntropy: class weights must be finite and non-negative"):
        CrossEntropy(weights=weights)
    assert CrossEntropy(weights=[0.0, 1.0, 2.0]).weights.tolist() == [0.0, 1.0, 2.0]
