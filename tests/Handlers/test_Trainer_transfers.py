"""No device->host transfer in a training step (issue 20, finding 2).

Each transfer (``float(err)``, ``int(labels.max())``, a boolean-mask index, ``.get()``) makes CuPy
wait for the GPU to drain its queue, so a step that makes one runs at the speed of the slowest
launch. These tests count them through the CuPy stand-in (``python -m tests.Backend.cudaemu``):
training on 6 batches must make exactly the transfers that training on 2 batches makes (the
whole-set checks a handler does once per call), for every cost a Trainer drives and every optimizer.
"""
import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Containers import Sequential
from PuzzleLib.Cost import BCE, MSE, SVM, Abs, CrossEntropy, Hinge, KLDivergence, SmoothL1
from PuzzleLib.Handlers import Calculator, Trainer, Validator
from PuzzleLib.Modules import Activation, BatchNorm, Embedder, Flatten, Linear
from PuzzleLib import Optimizers
from PuzzleLib.Optimizers.Hooks import ClipByGlobalNorm, ClipByValue, WeightDecay

EMULATED = getattr(gpuarray.xp, "__version__", "") == "emulated"
pytestmark = pytest.mark.skipif(not EMULATED, reason="counts device->host transfers of the CuPy stand-in: "
                                                      "run with python -m tests.Backend.cudaemu")

BS = 4


def _net(outsize):
    return Sequential().append(Linear(3, 5)).append(BatchNorm(5)).append(Activation("relu")).append(
        Linear(5, outsize))


def _targets(cost, n):
    rng = np.random.RandomState(0)
    if isinstance(cost, (CrossEntropy, SVM)):
        return rng.randint(0, 3, size=n).astype(np.int32), 3
    if isinstance(cost, BCE):
        return rng.randint(0, 2, size=(n, 1)).astype(np.float32), 1
    if isinstance(cost, KLDivergence):
        t = rng.uniform(0.1, 1, size=(n, 3)).astype(np.float32)
        return t / t.sum(axis=1, keepdims=True), 3
    if isinstance(cost, Hinge):
        return rng.randint(0, 2, size=(n, 2)).astype(np.int32), 2
    return rng.randn(n, 2).astype(np.float32), 2


def _extraTransfers(run):
    """The transfers ``run(batches)`` makes on 6 batches beyond those it makes on 2."""
    from tests.Backend.cudaemu import countTransfers
    seen = {}
    for batches in (2, 6, 2, 6):  # the second round: every buffer and plan exists already
        with countTransfers() as transfers:
            run(batches)
        seen[batches] = transfers
    extra = list(seen[6])
    for t in seen[2]:
        if t in extra:
            extra.remove(t)
    return extra


COSTS = [MSE, Abs, SmoothL1, BCE, CrossEntropy, lambda: CrossEntropy(weights=[1.0, 2.0, 0.5]), SVM, KLDivergence,
         lambda: KLDivergence(normTarget=True), Hinge]


@pytest.mark.parametrize("makeCost", COSTS)
def test_no_transfer_in_a_training_step_for_each_cost(makeCost):
    cost = makeCost()
    T, classes = _targets(cost, 6 * BS)
    X = np.random.randn(6 * BS, 3).astype(np.float32)
    net = _net(classes)
    opt = Optimizers.MomentumSGD(learnRate=0.01)
    opt.setupOn(net, useGlobalState=True)
    trainer = Trainer(net, cost, opt, batchsize=BS)
    X, T = gpuarray.to_gpu(X), gpuarray.to_gpu(T)
    assert _extraTransfers(lambda b: trainer.train(X[:b * BS], T[:b * BS])) == []


@pytest.mark.parametrize("name", ["SGD", "MomentumSGD", "NesterovSGD", "Adam", "AdaGrad", "AdaDelta", "RMSProp",
                                  "RMSPropGraves", "SMORMS3"])
@pytest.mark.parametrize("hook", [None, ClipByGlobalNorm, ClipByValue, WeightDecay])
def test_no_transfer_in_a_training_step_for_each_optimizer(name, hook):
    net = _net(2)
    opt = getattr(Optimizers, name)()
    opt.setupOn(net, useGlobalState=True)
    if hook is not None:
        opt.addHook(hook(0.5))
    trainer = Trainer(net, MSE(), opt, batchsize=BS)
    X = gpuarray.to_gpu(np.random.randn(6 * BS, 3).astype(np.float32))
    T = gpuarray.to_gpu(np.random.randn(6 * BS, 2).astype(np.float32))
    assert _extraTransfers(lambda b: trainer.train(X[:b * BS], T[:b * BS])) == []


def test_no_transfer_per_batch_in_an_embedder_step():
    net = Sequential().append(Embedder(10, 3, 4)).append(Flatten()).append(Linear(12, 3))
    opt = Optimizers.SGD(learnRate=0.1)
    opt.setupOn(net, useGlobalState=True)
    trainer = Trainer(net, CrossEntropy(), opt, batchsize=BS)
    X = np.random.randint(-1, 10, size=(6 * BS, 3)).astype(np.int32)
    X, T = gpuarray.to_gpu(X), gpuarray.to_gpu(np.random.randint(0, 3, size=6 * BS).astype(np.int32))
    assert _extraTransfers(lambda b: trainer.train(X[:b * BS], T[:b * BS])) == []


@pytest.mark.parametrize("makeCost", [MSE, CrossEntropy, BCE, KLDivergence])
def test_no_transfer_per_batch_in_validation(makeCost):
    cost = makeCost()
    T, classes = _targets(cost, 6 * BS)
    net = _net(classes)
    validator = Validator(net, cost, batchsize=BS)
    X, T = gpuarray.to_gpu(np.random.randn(6 * BS, 3).astype(np.float32)), gpuarray.to_gpu(T)
    assert _extraTransfers(lambda b: validator.validate(X[:b * BS], T[:b * BS])) == []


def test_calc_keeps_the_outputs_on_the_device():
    net = _net(2)
    calc = Calculator(net, batchsize=BS)
    X = gpuarray.to_gpu(np.random.randn(6 * BS, 3).astype(np.float32))
    assert _extraTransfers(lambda b: calc.calc(X[:b * BS])) == []
    out = calc.calc(X)
    np.testing.assert_allclose(out.get(), np.concatenate([net(X[i:i + BS]).get() for i in range(0, 6 * BS, BS)]),
                               rtol=1e-6)
