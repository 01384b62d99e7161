import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Cost import MSE
from PuzzleLib.Errors import CostError, HandlerError
from PuzzleLib.Handlers import Validator
from PuzzleLib.Modules import Activation, Linear
from PuzzleLib.Modules.Activation import tanh
from tests.Handlers._recorder import batchRows, indexedData, recordedNet


def _net():
    return Sequential().append(Linear(2, 3, initscheme="gaussian")).append(Activation(tanh)) \
        .append(Linear(3, 2, initscheme="gaussian"))


def _params(net):
    return {names[0]: var.data.get().copy() for var, names in net.getVarTable().items()}


def _expected(net, x, y):
    pred = net(to_gpu(x)).get().astype(np.float64)
    return 0.5 * np.mean((y - pred) ** 2)


@pytest.mark.parametrize("n,batchsize", [(23, 5), (8, 8), (3, 10)])
def test_mean_per_sample_error(n, batchsize):
    net = _net()
    x = np.random.randn(n, 2).astype(np.float32)
    y = np.random.randn(n, 2).astype(np.float32)
    validator = Validator(net, MSE(), batchsize=batchsize)
    error = validator.validate(to_gpu(x), to_gpu(y))
    assert isinstance(error, float)
    # per-batch 0.5 * mean over the batch, weighted by batch size = 0.5 * mean over all samples
    assert error == pytest.approx(_expected(net, x, y), rel=1e-5)
    assert validator.error == error
    assert validator.validateFromHost(x, y, macroBatchSize=7) == pytest.approx(error, rel=1e-6)


def test_eval_mode_in_order_and_callbacks():
    net, rec = recordedNet()
    net.trainMode()
    events = []
    validator = Validator(net, MSE(), batchsize=4, onBatchFinish=lambda v: events.append(("batch", v.currBatch)))
    x = indexedData(10)
    y = np.zeros((10, 1), np.float32)
    np.random.seed(9)
    state = np.random.get_state()[1].copy()
    validator.validateFromHost(x, y, macroBatchSize=8, onMacroBatchFinish=lambda v: events.append(("macro", v.currMacroBatch)))
    assert batchRows(rec.batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert not any(rec.modes) and not net.train
    assert events == [("batch", 1), ("batch", 2), ("macro", 1), ("batch", 1), ("macro", 2)]
    # in order: no random draws at all
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_validation_changes_no_parameters():
    net = _net()
    before = _params(net)
    x = np.random.randn(6, 2).astype(np.float32)
    Validator(net, MSE(), batchsize=4).validateFromHost(x, x)
    for key, value in _params(net).items():
        np.testing.assert_array_equal(value, before[key])


def test_each_call_starts_afresh():
    net = _net()
    validator = Validator(net, MSE(), batchsize=4)
    x = np.random.randn(6, 2).astype(np.float32)
    y1, y2 = np.zeros((6, 2), np.float32), np.ones((6, 2), np.float32)
    validator.validateFromHost(x, y1)
    assert validator.validateFromHost(x, y2) == pytest.approx(_expected(net, x, y2), rel=1e-5)


def test_bad_input():
    net = _net()
    with pytest.raises(HandlerError, match=r"Validator.*cost.*Linear"):
        Validator(net, Linear(1, 1))
    validator = Validator(net, MSE(), batchsize=4)
    x = np.zeros((6, 2), np.float32)
    with pytest.raises(HandlerError, match=r"Validator.*same number of samples.*6 and 5"):
        validator.validateFromHost(x, np.zeros((5, 2), np.float32))
    with pytest.raises(HandlerError, match=r"Validator.*array.*list"):
        validator.validate(to_gpu(x), [[0.0, 0.0]] * 6)
    with pytest.raises(CostError, match=r"MSE.*\(4, 2\).*\(4, 3\)"):
        validator.validateFromHost(x, np.zeros((6, 3), np.float32))


def test_a_bad_label_is_refused_before_the_first_batch():
    from PuzzleLib.Cost import CrossEntropy
    net = Sequential(name="net").append(Linear(4, 3))
    x = np.random.randn(20, 4).astype(np.float32)
    y = np.zeros(20, np.int32)
    y[-1] = -1
    seen = []
    validator = Validator(net, CrossEntropy(), onBatchFinish=lambda v: seen.append(v.currBatch), batchsize=4)
    with pytest.raises(CostError, match=r"CrossEntropy: labels must lie in \[0, 3\).*\[-1, 0\]"):
        validator.validateFromHost(x, y)
    assert seen == []
