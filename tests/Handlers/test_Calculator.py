import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Errors import HandlerError, ModuleError
from PuzzleLib.Handlers import Calculator
from PuzzleLib.Modules import Activation, Linear
from PuzzleLib.Modules.Activation import relu
from tests.Handlers._recorder import batchRows, indexedData, recordedNet


def _net():
    return Sequential(name="net").append(Linear(3, 5, initscheme="gaussian")).append(Activation(relu)) \
        .append(Linear(5, 2, initscheme="gaussian"))


@pytest.mark.parametrize("n,batchsize", [(23, 5), (4, 4), (2, 7)])
def test_outputs_equal_direct_forward(n, batchsize):
    net = _net()
    x = np.random.randn(n, 3).astype(np.float32)
    expected = net(to_gpu(x)).get()
    calc = Calculator(net, batchsize=batchsize)

    out = calc.calc(to_gpu(x))
    assert isinstance(out, gpuarray.GPUArray)
    assert out.shape == (n, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out.get(), expected, rtol=1e-6, atol=1e-7)

    host = calc.calcFromHost(x, macroBatchSize=6)
    assert type(host) is np.ndarray
    np.testing.assert_allclose(host, expected, rtol=1e-6, atol=1e-7)


def test_eval_mode_in_order_and_callbacks():
    net, rec = recordedNet()
    batches = []
    macros = []
    calc = Calculator(net, batchsize=3, onBatchFinish=lambda c: batches.append((c.currMacroBatch, c.currBatch)))
    x = indexedData(8)
    out = calc.calcFromHost(x, macroBatchSize=5, onMacroBatchFinish=lambda c: macros.append(len(batches)))
    assert batchRows(rec.batches) == [[0, 1, 2], [3, 4], [5, 6, 7]]
    assert not any(rec.modes) and not net.train
    assert batches == [(0, 1), (0, 2), (1, 1)] and macros == [2, 3]
    assert out.shape == (8, 1)


def test_outputs_do_not_alias_between_calls():
    net = _net()
    calc = Calculator(net, batchsize=2)
    x1 = np.random.randn(4, 3).astype(np.float32)
    first = calc.calcFromHost(x1)
    keep = first.copy()
    calc.calcFromHost(np.random.randn(4, 3).astype(np.float32))
    np.testing.assert_array_equal(first, keep)


def test_bad_input():
    net = _net()
    calc = Calculator(net, batchsize=2)
    with pytest.raises(HandlerError, match=r"Calculator.*array.*list"):
        calc.calcFromHost([[0.0, 0.0, 0.0]])
    with pytest.raises(HandlerError, match=r"Calculator.*empty"):
        calc.calc(to_gpu(np.zeros((0, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Sequential 'net'.*module 0 \(Linear\).*\(N, 3\).*\(2, 4\)"):
        calc.calcFromHost(np.zeros((4, 4), np.float32))
    with pytest.raises(HandlerError, match=r"Calculator.*batchsize"):
        Calculator(net, batchsize=-2)
    # still works after refusals
    assert calc.calcFromHost(np.zeros((3, 3), np.float32)).shape == (3, 2)


def test_a_module_with_several_outputs_gives_one_array_per_output():
    # was a raw numpy ValueError (np.concatenate of lists of outputs)
    from PuzzleLib.Containers import Parallel
    from PuzzleLib.Modules import Replicate
    net = Sequential().append(Replicate(2)).append(
        Parallel().append(Linear(2, 3, initscheme="gaussian")).append(Linear(2, 1, initscheme="gaussian")))
    x = np.random.randn(10, 2).astype(np.float32)
    expected = [x @ net[1][i].W.get() + net[1][i].b.get() for i in range(2)]
    calc = Calculator(net, batchsize=4)
    host = calc.calcFromHost(x, macroBatchSize=6)
    device = calc.calc(to_gpu(x))
    assert isinstance(host, list) and isinstance(device, list) and len(host) == len(device) == 2
    for h, d, e in zip(host, device, expected):
        assert isinstance(h, np.ndarray) and isinstance(d, gpuarray.GPUArray)
        np.testing.assert_allclose(h, e, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(d.get(), h)
