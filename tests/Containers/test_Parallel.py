import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Parallel, Sequential
from PuzzleLib.Errors import ContainerError
from PuzzleLib.Modules import Activation, Linear
from tests.gradcheck import checkModule


def _par():
    branch = Sequential(name="deep").append(Linear(3, 4)).append(Activation("tanh"))
    return Parallel(name="par").append(Linear(2, 3, name="fc")).append(branch).append(Activation("relu"))


def test_forward_is_each_branch_on_its_input():
    par = _par()
    xs = [to_gpu(np.random.randn(4, d).astype(np.float32)) for d in (2, 3, 5)]
    outs = par(xs)
    assert [o.shape for o in outs] == [(4, 3), (4, 4), (4, 5)]
    np.testing.assert_allclose(outs[0].get(), par["fc"](xs[0]).get(), rtol=1e-6)
    np.testing.assert_allclose(outs[2].get(), np.maximum(xs[2].get(), 0), rtol=1e-6)
    assert par.dataShapeFrom([(4, 2), (4, 3), (4, 5)]) == [(4, 3), (4, 4), (4, 5)]
    assert par.gradShapeFrom([(4, 3), (4, 4), (4, 5)]) == [(4, 2), (4, 3), (4, 5)]


@pytest.mark.parametrize("batch", [1, 3])
def test_gradients(batch):
    analytic, _ = checkModule(_par(), [np.random.randn(batch, d) for d in (2, 3, 5)])
    assert {"input0", "input1", "input2", "fc.W", "fc.b", "deep.0.W"} <= set(analytic)


def test_accumulates_with_momentum_one():
    par = Parallel().append(Linear(2, 2))
    x = [to_gpu(np.random.randn(3, 2).astype(np.float32))]
    g = [to_gpu(np.random.randn(3, 2).astype(np.float32))]
    par(x)
    par.backward(g)
    once = par[0].vars["W"].grad.get()
    par(x)
    par.backward(g)
    np.testing.assert_allclose(par[0].vars["W"].grad.get(), 2 * once, rtol=1e-6)


def test_errors():
    par = _par()
    with pytest.raises(ContainerError, match=r"Parallel 'par': expected a list of 3 input arrays.*a list of 2"):
        par([to_gpu(np.zeros((1, 2), np.float32))] * 2)
    with pytest.raises(ContainerError, match=r"forward failed in module 0 \(Linear\)"):
        par([to_gpu(np.zeros((1, 7), np.float32))] * 3)
    with pytest.raises(ContainerError, match=r"backward called before a forward pass"):
        Parallel().append(Linear(1, 1)).backward([to_gpu(np.zeros((1, 1), np.float32))])
    with pytest.raises(ContainerError, match=r"no branches"):
        Parallel()([])
    with pytest.raises(ContainerError, match=r"no module named 'x'"):
        par["x"]


def test_blueprint_and_file_round_trip(tmp_path):
    par = _par()
    xs = [to_gpu(np.random.randn(2, d).astype(np.float32)) for d in (2, 3, 5)]
    ref = [o.get() for o in par(xs)]
    bp = par.getBlueprint()
    assert bp["classname"] == "Parallel" and bp["graph"] == ["fc", "deep", "2"]
    path = str(tmp_path / "par.h5")
    par.save(path, withBlueprint=True)
    rebuilt = Blueprint.load(path)
    assert isinstance(rebuilt, Parallel) and list(rebuilt.modules) == ["fc", "deep", "2"]
    for a, b in zip(rebuilt(xs), ref):
        np.testing.assert_allclose(a.get(), b, rtol=1e-6)
    assert rebuilt.getByName("deep") is rebuilt["deep"]


def test_sequential_ending_in_parallel_with_recurrent_and_pooling_modules():
    from PuzzleLib.Modules import Flatten, GroupLinear, KMaxPool, NoiseInjector, RNN, SwapAxes, ToList
    net = Sequential()
    net.append(RNN(3, 2, mode="gru", direction="bi", getSequences=True))   # (T, N, 4)
    net.append(SwapAxes(0, 1))                                              # (N, T, 4)
    net.append(GroupLinear(4, 4, 2, name="gl"))                             # T = 4 groups
    net.append(KMaxPool(topk=2, axis=1))
    net.append(NoiseInjector(mode="mul", params=(2.0, 2.0)))
    net.append(ToList())
    net.append(Parallel().append(Flatten()))
    x = to_gpu(np.random.randn(4, 2, 3).astype(np.float32))
    out = net(x)
    assert [o.shape for o in out] == [(2, 4)]
    rebuilt = Blueprint.load(net.save(withBlueprint=True))
    np.testing.assert_allclose(rebuilt(x)[0].get(), out[0].get(), rtol=1e-6)
    analytic, _ = checkModule(net, np.random.randn(4, 2, 3))
    assert {"input0", "0.W0", "0.R0r", "gl.W", "gl.b"} <= set(analytic)


def test_slicing_gives_a_parallel_of_those_branches():
    par = Parallel().append(Linear(3, 2, name="a")).append(Activation("relu", name="b")).append(Linear(4, 1, name="c"))
    part = par[::2]
    assert isinstance(part, Parallel)
    assert [m.name for m in part.graph] == ["a", "c"] and part[1] is par[2]
    x, z = to_gpu(np.random.randn(5, 3).astype(np.float32)), to_gpu(np.random.randn(5, 4).astype(np.float32))
    outs = part([x, z])
    np.testing.assert_allclose(outs[1].get(), par[2](z).get(), rtol=1e-6)
    assert [o.shape for o in outs] == [(5, 2), (5, 1)]
    assert len(par) == 3
