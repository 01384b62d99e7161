import sys

import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Cost import MSE, SVM, CrossEntropy
from PuzzleLib.Errors import CostError, HandlerError, ModuleError
from PuzzleLib.Handlers import Trainer
from PuzzleLib.Modules import Activation, Linear
from PuzzleLib.Modules.Activation import relu
from PuzzleLib.Optimizers import SGD, MomentumSGD
from tests.Handlers._recorder import batchRows, expectedRandomRows, indexedData, recordedNet


def _data(n):
    x = indexedData(n)
    y = (0.1 * x + 1.0).astype(np.float32)
    return x, y


def _params(net):
    return {names[0]: var.data.get().copy() for var, names in net.getVarTable().items()}


def _assertSame(a, b):
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_batch_and_macro_batch_counts_and_callback_order():
    net, rec = recordedNet()
    events = []
    trainer = Trainer(net, MSE(), SGD(1e-4), batchsize=5,
                      onBatchFinish=lambda t: events.append(("batch", t.currMacroBatch, t.currBatch, t.totalBatches)))
    x, y = _data(23)
    trainer.trainFromHost(x, y, macroBatchSize=10, random=False,
                          onMacroBatchFinish=lambda t: events.append(("macro", t.currMacroBatch, t.totalMacroBatches)))
    assert events == [
        ("batch", 0, 1, 2), ("batch", 0, 2, 2), ("macro", 1, 3),
        ("batch", 1, 1, 2), ("batch", 1, 2, 2), ("macro", 2, 3),
        ("batch", 2, 1, 1), ("macro", 3, 3),
    ]
    assert trainer.totalMacroBatches == 3
    assert [len(b) for b in rec.batches] == [5, 5, 5, 5, 3]


def test_random_false_visits_in_order():
    net, rec = recordedNet()
    trainer = Trainer(net, MSE(), SGD(1e-4), batchsize=4)
    x, y = _data(10)
    trainer.train(to_gpu(x), to_gpu(y), random=False)
    assert batchRows(rec.batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert trainer.totalBatches == 3
    rec.batches.clear()
    trainer.trainFromHost(x, y, macroBatchSize=6, random=False)
    assert batchRows(rec.batches) == [[0, 1, 2, 3], [4, 5], [6, 7, 8, 9]]


@pytest.mark.parametrize("n,batchsize,macroBatchSize", [(23, 5, 10), (1024, 10, 1000)])
def test_random_order_is_the_documented_draws(n, batchsize, macroBatchSize):
    net, rec = recordedNet()
    trainer = Trainer(net, MSE(), SGD(1e-6), batchsize=batchsize)
    x, y = _data(n)
    np.random.seed(2024)
    trainer.trainFromHost(x, y, macroBatchSize=macroBatchSize)
    assert batchRows(rec.batches) == expectedRandomRows(n, batchsize, macroBatchSize, 2024)


def test_getMeanError_is_sample_weighted_mean_of_batch_errors():
    net, rec = recordedNet()
    cost = MSE()
    batchErrors = []
    trainer = Trainer(net, cost, MomentumSGD(1e-3), batchsize=4,
                      onBatchFinish=lambda t: batchErrors.append((t.cost.getError(), len(rec.batches[-1]))))
    running = []
    x, y = _data(23)
    trainer.trainFromHost(x, y, macroBatchSize=10,
                          onMacroBatchFinish=lambda t: running.append((t.cost.getMeanError(), len(batchErrors))))
    # macro-batches of 10, 10, 3 rows in batches of 4: sizes 4, 4, 2 | 4, 4, 2 | 3 in some order
    assert sorted(n for _, n in batchErrors) == [2, 2, 3, 4, 4, 4, 4]
    total = sum(n for _, n in batchErrors)
    assert total == 23
    expected = sum(e * n for e, n in batchErrors) / total
    assert cost.getMeanError() == pytest.approx(expected, rel=1e-6)
    # inside onMacroBatchFinish: the running mean over the batches seen so far in this call
    for mean, k in running:
        seen = batchErrors[:k]
        assert mean == pytest.approx(sum(e * n for e, n in seen) / sum(n for _, n in seen), rel=1e-6)


def test_each_call_resets_the_accumulator():
    net, rec = recordedNet()
    cost = MSE()
    errors = []
    trainer = Trainer(net, cost, SGD(1e-4), batchsize=3,
                      onBatchFinish=lambda t: errors.append((t.cost.getError(), len(rec.batches[-1]))))
    x, y = _data(7)
    trainer.train(to_gpu(x), to_gpu(y))
    errors.clear()
    trainer.train(to_gpu(x), to_gpu(y))
    assert cost.getMeanError() == pytest.approx(sum(e * n for e, n in errors) / 7, rel=1e-6)


def test_training_steps_by_hand():
    lin = Linear(2, 1, initscheme="gaussian")
    net = Sequential().append(lin)
    trainer = Trainer(net, MSE(), SGD(0.1), batchsize=3)
    W, b = lin.vars["W"].data.get().astype(np.float64), lin.vars["b"].data.get().astype(np.float64)
    x = np.random.randn(5, 2).astype(np.float32)
    y = np.random.randn(5, 1).astype(np.float32)
    trainer.trainFromHost(x, y, random=False)
    for lo, hi in [(0, 3), (3, 5)]:  # grads are zeroed per batch, not accumulated across batches
        xb, yb = x[lo:hi], y[lo:hi]
        d = (yb - (xb @ W + b)) / yb.size
        W, b = W + 0.1 * xb.T @ d, b + 0.1 * d.sum(axis=0)
    np.testing.assert_allclose(lin.vars["W"].data.get(), W, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(lin.vars["b"].data.get(), b, rtol=1e-5, atol=1e-7)
    assert trainer.optimizer.t == 2


def test_trainer_sets_up_the_optimizer_and_train_mode():
    net, rec = recordedNet()
    net.evalMode()
    opt = SGD(1e-3)
    trainer = Trainer(net, MSE(), opt, batchsize=4)
    x, y = _data(8)
    trainer.train(to_gpu(x), to_gpu(y))
    assert opt.module is net
    assert net.train and all(rec.modes)
    assert opt.t == 2


def test_training_reduces_the_error():
    np.random.seed(3)
    net = Sequential().append(Linear(1, 16, initscheme="gaussian")).append(Activation(relu)) \
        .append(Linear(16, 1, initscheme="gaussian"))
    cost = MSE()
    trainer = Trainer(net, cost, MomentumSGD(1e-2), batchsize=8)
    x = np.linspace(-1, 1, 64, dtype=np.float32).reshape(-1, 1)
    y = (x ** 2).astype(np.float32)
    trainer.trainFromHost(x, y)
    first = cost.getMeanError()
    for _ in range(20):
        trainer.trainFromHost(x, y)
    assert cost.getMeanError() < 0.5 * first


def test_bad_constructor_arguments():
    net, _ = recordedNet()
    with pytest.raises(HandlerError, match=r"Trainer.*cost.*SGD"):
        Trainer(net, SGD(), SGD())
    with pytest.raises(HandlerError, match=r"Trainer.*optimizer.*MSE"):
        Trainer(net, MSE(), MSE())
    with pytest.raises(HandlerError, match=r"Trainer.*batchsize"):
        Trainer(net, MSE(), SGD(), batchsize=0)


def test_a_class_passed_instead_of_an_instance_is_named():
    # the error said "got type" (or "got _ModuleMeta" for a module class)
    net = Linear(1, 1)
    with pytest.raises(HandlerError, match=r"Trainer: expected a cost.*got the class MSE itself"):
        Trainer(net, MSE, SGD())
    with pytest.raises(HandlerError, match=r"Trainer: expected an optimizer.*got the class SGD itself"):
        Trainer(net, MSE(), SGD)
    with pytest.raises(HandlerError, match=r"Trainer: expected a module, got the class Linear itself"):
        Trainer(Linear, MSE(), SGD())


def test_an_optimizer_set_up_on_an_unrelated_net_is_refused():
    # it used to train nothing, silently
    net = Sequential(name="net").append(Linear(1, 3)).append(Linear(3, 1))
    other = Linear(1, 1, name="other")
    opt = SGD(0.1)
    opt.setupOn(other)
    trainer = Trainer(net, MSE(), opt, batchsize=4)
    before = _params(net)
    x, y = _data(8)
    with pytest.raises(HandlerError, match=r"Trainer: the optimizer was set up on another net \(Linear 'other'\).*"
                                           r"Sequential 'net'.*setupOn"):
        trainer.trainFromHost(x, y)
    _assertSame(before, _params(net))


def test_an_optimizer_on_a_part_of_the_net_trains_that_part_only():
    # fine-tuning the head: the optimizer set up on the last layer only
    net = Sequential(name="net").append(Linear(1, 3)).append(Linear(3, 1))
    opt = SGD(0.1)
    opt.setupOn(net[1])
    trainer = Trainer(net, MSE(), opt, batchsize=4)
    before = _params(net)
    x, y = _data(8)
    trainer.trainFromHost(x, y)
    after = _params(net)
    np.testing.assert_array_equal(before["0.W"], after["0.W"])
    assert not np.array_equal(before["1.W"], after["1.W"])


@pytest.mark.parametrize("costClass", [CrossEntropy, SVM])
@pytest.mark.parametrize("host", [True, False])
def test_a_bad_label_late_in_the_set_is_refused_before_any_update(costClass, host):
    # it used to be refused only when its batch came up, after the earlier batches had trained
    net = Sequential(name="net").append(Linear(4, 3))
    x = np.random.randn(100, 4).astype(np.float32)
    y = np.random.randint(0, 3, 100).astype(np.int32)
    y[95] = 3
    trainer = Trainer(net, costClass(), SGD(0.1), batchsize=10)
    before = _params(net)
    with pytest.raises(CostError, match=r"%s: labels must lie in \[0, 3\).*\[0, 3\]" % costClass.__name__):
        if host:
            trainer.trainFromHost(x, y, macroBatchSize=50)
        else:
            trainer.train(to_gpu(x), to_gpu(y))
    _assertSame(before, _params(net))


def test_bad_data_leaves_parameters_unchanged():
    net = Sequential(name="net").append(Linear(1, 3, initscheme="gaussian")).append(Linear(3, 1, initscheme="gaussian"))
    trainer = Trainer(net, MSE(), SGD(0.1), batchsize=4)
    before = _params(net)
    x, y = _data(8)
    with pytest.raises(HandlerError, match=r"Trainer.*same number of samples.*8 and 7"):
        trainer.trainFromHost(x, y[:7])
    with pytest.raises(HandlerError, match=r"Trainer.*array.*list"):
        trainer.trainFromHost(x.tolist(), y)
    with pytest.raises(ModuleError, match=r"Sequential 'net'.*module 0 \(Linear\).*float32.*float64"):
        trainer.trainFromHost(x.astype(np.float64), y)
    with pytest.raises(ModuleError, match=r"Sequential 'net'.*module 0 \(Linear\).*\(N, 1\).*\(4, 2\)"):
        trainer.trainFromHost(np.zeros((8, 2), np.float32), y)
    with pytest.raises(CostError, match=r"MSE.*\(4, 1\).*\(4, 2\)"):
        trainer.trainFromHost(x, np.zeros((8, 2), np.float32))
    with pytest.raises(CostError, match=r"MSE.*float32.*float64"):
        trainer.trainFromHost(x, y.astype(np.float64))
    _assertSame(before, _params(net))
    # and it still trains afterwards
    trainer.trainFromHost(x, y)
    assert not np.array_equal(before["0.W"], _params(net)["0.W"])


def test_a_custom_module_inside_a_trainer_gets_device_arrays():
    # The API promises modules device arrays (GPUArray, with .get()), also when a handler drives
    # them: a user's module written for CuPy arrays (which always have .get()) must not break on
    # the CPU backend inside a Trainer.
    from PuzzleLib.Backend import gpuarray
    from PuzzleLib.Modules.Module import Module

    class HostPeek(Module):
        def __init__(self, name=None):
            super().__init__(name)
            self.sums = []

        def updateData(self, data):
            assert isinstance(data, gpuarray.GPUArray)
            self.sums.append(float(data.get().sum()))
            self.data = data

        def updateGrad(self, grad):
            self.grad = grad

    peek = HostPeek()
    net = Sequential().append(peek).append(Linear(1, 1))
    x, y = _data(6)
    Trainer(net, MSE(), SGD(1e-3), batchsize=3).trainFromHost(x, y, random=False)
    assert peek.sums == [3.0, 12.0]


def _address(ary):
    ptr = getattr(getattr(ary, "data", None), "ptr", None)  # CuPy
    return ptr if ptr is not None else ary.__array_interface__["data"][0]


def test_steady_state_training_reuses_its_buffers():
    # outputs and gradients of each module, and the cost's gradient, live in the same memory from
    # batch to batch: a training step allocates nothing it could reuse
    from PuzzleLib.Modules.Module import Module

    class Probe(Module):
        def __init__(self, log, name=None):
            super().__init__(name)
            self.log = log

        def updateData(self, data):
            self.log.append(("in", self.name, _address(data)))
            self.data = data

        def updateGrad(self, grad):
            self.log.append(("grad", self.name, _address(grad)))
            self.grad = grad

    log = []
    net = Sequential().append(Linear(2, 8, initscheme="gaussian")).append(Probe(log, name="p1")) \
        .append(Activation(relu)).append(Probe(log, name="p2")).append(Linear(8, 1, initscheme="gaussian")) \
        .append(Probe(log, name="p3"))
    trainer = Trainer(net, MSE(), MomentumSGD(1e-2), batchsize=4)
    x = to_gpu(np.random.randn(16, 2).astype(np.float32))
    y = to_gpu(np.random.randn(16, 1).astype(np.float32))
    trainer.train(x, y)
    log.clear()
    trainer.train(x, y)
    perBatch = len(log) // 4
    assert perBatch == 6
    batches = [log[i * perBatch:(i + 1) * perBatch] for i in range(4)]
    assert all(b == batches[0] for b in batches[1:]), batches


def test_non_callable_macro_batch_callback_is_refused_before_training():
    net = Sequential(name="net").append(Linear(1, 1, initscheme="gaussian"))
    trainer = Trainer(net, MSE(), SGD(0.1), batchsize=2)
    before = _params(net)
    x, y = _data(4)
    with pytest.raises(HandlerError, match=r"Trainer.*onMacroBatchFinish.*callable.*5"):
        trainer.trainFromHost(x, y, macroBatchSize=2, onMacroBatchFinish=5)
    _assertSame(before, _params(net))


def test_a_failed_call_leaves_cost_and_module_out_of_buffer_reuse():
    # after a refused batch, gradients the cost hands out directly must again be fresh arrays
    net = Sequential().append(Linear(1, 1))
    cost = MSE()
    trainer = Trainer(net, cost, SGD(0.1), batchsize=2)
    x, _ = _data(4)
    with pytest.raises(CostError):
        trainer.trainFromHost(x, np.ones((4, 2), np.float32))
    _, g1 = cost(to_gpu(np.zeros((2, 1), np.float32)), to_gpu(np.ones((2, 1), np.float32)))
    _, g2 = cost(to_gpu(np.zeros((2, 1), np.float32)), to_gpu(np.full((2, 1), 3.0, np.float32)))
    np.testing.assert_allclose(g1.get().ravel(), [0.5, 0.5])
    np.testing.assert_allclose(g2.get().ravel(), [1.5, 1.5])
    out1 = net(to_gpu(np.ones((2, 1), np.float32)))
    keep = out1.get()
    net(to_gpu(np.full((2, 1), 5.0, np.float32)))
    np.testing.assert_array_equal(out1.get(), keep)


def _divergingSetup(**kwargs):
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Cost import MSE
    from PuzzleLib.Handlers import Trainer
    from PuzzleLib.Modules import Activation, Linear
    from PuzzleLib.Optimizers import SGD

    np.random.seed(0)
    net = Sequential().append(Linear(1, 4)).append(Activation("relu")).append(Linear(4, 1))
    x = np.linspace(0, 1, 40, dtype=np.float32).reshape(-1, 1)
    return Trainer(net, MSE(), SGD(learnRate=1e6), batchsize=10, **kwargs), x, 1e3 * x


def test_divergence_is_warned_once_with_epoch_and_batch(caplog):
    import warnings
    trainer, x, y = _divergingSetup()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warnings do not leak out of training
        with caplog.at_level("WARNING", logger="PuzzleLib"):
            for _ in range(3):
                trainer.trainFromHost(x, y, random=False)
    lines = [r.getMessage() for r in caplog.records if "not finite" in r.getMessage()]
    assert len(lines) == 1, lines
    epoch, batch = trainer.nonFinite
    assert lines[0].startswith("Trainer: the error is not finite (")
    assert "training has diverged; try a smaller learnRate" in lines[0]
    if batch is None:  # the GPU: the running error, after each macro-batch
        assert "at epoch %d (the running error" % epoch in lines[0]
    else:
        assert "at epoch %d, batch %d of 4:" % (epoch, batch + 1) in lines[0]


def test_divergence_can_raise_instead():
    from PuzzleLib.Errors import HandlerError
    trainer, x, y = _divergingSetup(onNonFinite="raise")
    with pytest.raises(HandlerError, match="not finite .* at epoch 1[ ,]"):
        for _ in range(3):
            trainer.trainFromHost(x, y, random=False)


def test_on_non_finite_is_checked():
    from PuzzleLib.Errors import HandlerError
    with pytest.raises(HandlerError, match="onNonFinite must be one of 'warn', 'raise', 'ignore', got 'loud'"):
        _divergingSetup(onNonFinite="loud")


@pytest.mark.parametrize("random", [False, True])
def test_callbacks_see_one_based_counts_of_what_is_done(random):
    # PuzzleLib 1.0 programs print "Finished mb #%d" % trainer.currMacroBatch in onMacroBatchFinish
    # and expect 1 after the first one; the planned (no onBatchFinish) path counts the same way
    net, _ = recordedNet()
    x, y = _data(23)
    macros = []
    trainer = Trainer(net, MSE(), SGD(1e-4), batchsize=5)
    trainer.trainFromHost(x, y, macroBatchSize=10, random=random,
                          onMacroBatchFinish=lambda t: macros.append((t.currMacroBatch, t.currBatch)))
    assert [m for m, _ in macros] == [1, 2, 3]
    assert sorted(b for _, b in macros) == [1, 2, 2]  # two full macro-batches of 2 batches, one of 1
    batches = []
    trainer = Trainer(net, MSE(), SGD(1e-4), batchsize=5, onBatchFinish=lambda t: batches.append(t.currBatch))
    trainer.train(to_gpu(x), to_gpu(y), random=random)
    assert batches == [1, 2, 3, 4, 5] and trainer.currBatch == trainer.totalBatches == 5


@pytest.mark.parametrize("costClass", [CrossEntropy, SVM])
def test_labels_checked_whole_are_not_checked_again_per_batch_and_only_during_the_call(costClass, monkeypatch):
    # a handler checks the whole set's labels once, so its batches skip the check (on a GPU each
    # reads the labels' range back and waits for the device); a direct call afterwards checks again
    from PuzzleLib.Cost import _labels
    net = Sequential().append(Linear(4, 3))
    cost = costClass()
    trainer = Trainer(net, cost, SGD(0.1), batchsize=10)
    x = to_gpu(np.random.randn(50, 4).astype(np.float32))
    y = to_gpu(np.random.randint(0, 3, 50).astype(np.int32))
    calls = []
    real = _labels.checkLabelRange

    def counted(c, target, classes):
        calls.append((target.shape[0], c._targetsVerified))  # verified: returns at once
        return real(c, target, classes)
    monkeypatch.setattr(_labels, "checkLabelRange", counted)
    monkeypatch.setattr(sys.modules[costClass.__module__], "checkLabelRange", counted)
    trainer.train(x, y)
    assert calls == [(50, False)] + [(10, True)] * 5 and not cost._targetsVerified
    with pytest.raises(CostError, match="labels must lie in"):
        cost(net(x[:2]), to_gpu(np.array([0, 3], np.int32)))


def test_an_embedder_index_out_of_range_late_in_the_set_is_refused_before_any_update():
    from PuzzleLib.Modules import Embedder, Flatten
    net = Sequential().append(Embedder(10, 2, 3)).append(Flatten()).append(Linear(6, 3))
    x = np.random.randint(-1, 10, size=(40, 2)).astype(np.int32)
    x[37, 1] = 10
    trainer = Trainer(net, CrossEntropy(), SGD(0.1), batchsize=8)
    before = _params(net)
    with pytest.raises(ModuleError, match="word index 10 is out of range for a vocabulary of 10"):
        trainer.train(to_gpu(x), to_gpu(np.zeros(40, np.int32)))
    _assertSame(before, _params(net))
    assert not net[0]._dataVerified
