"""The base Optimizer: local vs global state, and saving / loading state, for every optimizer."""
import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Cost import MSE
from PuzzleLib.Errors import SerializationError
from PuzzleLib.Modules import Activation, Linear
from PuzzleLib.Optimizers import (AdaDelta, AdaGrad, Adam, MomentumSGD, NesterovSGD, RMSProp, RMSPropGraves,
                                  SGD, SMORMS3)
from PuzzleLib.Optimizers.Hooks import ClipByGlobalNorm, ClipByValue, WeightDecay

FACTORIES = {
    "SGD": lambda: SGD(learnRate=0.1),
    "MomentumSGD": lambda: MomentumSGD(learnRate=0.1, momRate=0.9),
    "NesterovSGD": lambda: NesterovSGD(learnRate=0.1, momRate=0.9),
    "Adam": lambda: Adam(alpha=0.01),
    "AdaGrad": lambda: AdaGrad(learnRate=0.1),
    "AdaDelta": lambda: AdaDelta(),
    "RMSProp": lambda: RMSProp(learnRate=0.01),
    "RMSPropGraves": lambda: RMSPropGraves(learnRate=0.01),
    "SMORMS3": lambda: SMORMS3(learnRate=0.01),
}


def _data():
    rng = np.random.RandomState(7)
    return rng.randn(6, 3).astype(np.float32), rng.randn(6, 2).astype(np.float32)


def _net(seed=3):
    np.random.seed(seed)
    return Sequential().append(Linear(3, 5)).append(Activation("tanh")).append(Linear(5, 2))


def _train(net, opt, steps):
    x, y = _data()
    x, y = to_gpu(x), to_gpu(y)
    cost = MSE()
    for _ in range(steps):
        grad = cost(net(x), y, queryError=False)
        opt.zeroGradParams()
        net.backward(grad, updGrad=False)
        opt.update()


def _params(net):
    return {names[0]: var.data.get() for var, names in net.getVarTable().items()}


def _run(name, useGlobalState, multipliers, hooks, steps=3):
    net = _net()
    if multipliers:
        net[0].vars["W"].learnRate = 0.5
        net[0].vars["b"].momRate = 0.25
        net[2].vars["W"].wc = 0.01
    opt = FACTORIES[name]()
    opt.setupOn(net, useGlobalState=useGlobalState)
    for hook in hooks():
        opt.addHook(hook)
    _train(net, opt, steps)
    return net, opt


HOOKS = {
    "none": lambda: [],
    "all": lambda: [WeightDecay(0.01), ClipByValue(0.05), ClipByGlobalNorm(0.02)],
}


@pytest.mark.parametrize("hooks", sorted(HOOKS))
@pytest.mark.parametrize("multipliers", [False, True])
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_global_state_equals_local_state(name, multipliers, hooks):
    local, _ = _run(name, False, multipliers, HOOKS[hooks])
    flat, _ = _run(name, True, multipliers, HOOKS[hooks])
    before = _params(_net())
    for key, value in _params(local).items():
        np.testing.assert_array_equal(_params(flat)[key], value, err_msg=key)
        assert not np.array_equal(before[key], value), "%s did not move" % key


@pytest.mark.parametrize("useGlobalState", [False, True])
def test_state_modes_and_where_arrays_live(useGlobalState):
    net = _net()
    W = net[0].vars["W"]
    dataBefore, gradBefore = W.data, W.grad
    opt = MomentumSGD()
    opt.setupOn(net, useGlobalState=useGlobalState)
    assert opt.useGlobalState is useGlobalState
    variables = list(net.getVarTable())
    if useGlobalState:
        # one flat buffer per dtype; the variables' arrays and states are views into flat buffers
        group = opt.groups[0]
        assert len(opt.groups) == 1 and group.data.size == sum(v.data.size for v in variables)
        assert W.data is not dataBefore and gpuarray.xp.shares_memory(W.data, group.data)
        assert all(gpuarray.xp.shares_memory(opt.states[v]["mom"], group.state["mom"]) for v in variables)
    else:
        # the variables keep their own arrays; each has its own state buffer
        assert W.data is dataBefore and W.grad is gradBefore
        moms = [opt.states[v]["mom"] for v in variables]
        assert all(m.shape == v.shape for m, v in zip(moms, variables))
        assert not any(gpuarray.xp.shares_memory(a, b) for i, a in enumerate(moms) for b in moms[i + 1:])


def test_default_is_local_state():
    opt = SGD()
    opt.setupOn(_net())
    assert opt.useGlobalState is False and not opt.groups[0].flat


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_save_load_resumes_exactly(name):
    # train 2 steps, save; a fresh net and optimizer load the net and the state (the other state
    # mode), then both train 2 more steps: same numbers, bit for bit
    net, opt = _run(name, True, True, HOOKS["none"], steps=2)
    state = opt.save()
    model = net.save()
    net2 = _net(seed=99)
    net2[0].vars["W"].learnRate = 0.5
    net2[0].vars["b"].momRate = 0.25
    net2[2].vars["W"].wc = 0.01
    net2.load(model)
    opt2 = FACTORIES[name]()
    opt2.learnRate = 123.0  # restored from the file
    opt2.setupOn(net2, useGlobalState=False)
    opt2.load(state)
    assert opt2.t == 2 and opt2.learnRate == opt.learnRate
    _train(net, opt, 2)
    _train(net2, opt2, 2)
    for key, value in _params(net).items():
        np.testing.assert_array_equal(_params(net2)[key], value, err_msg=key)


def test_save_load_through_a_path(tmp_path):
    net, opt = _run("Adam", False, False, HOOKS["none"], steps=2)
    path = tmp_path / "opt.h5"
    opt.save(str(path))
    opt2 = Adam(alpha=0.5, beta1=0.5)
    opt2.setupOn(net)
    opt2.load(path)
    assert (opt2.alpha, opt2.beta1, opt2.t) == (0.01, 0.9, 2)
    for var in net.getVarTable():
        for sname in ("mom", "ms"):
            np.testing.assert_array_equal(opt2.states[var][sname].get(), opt.states[var][sname].get())
    assert [p.name for p in tmp_path.iterdir()] == ["opt.h5"]


def _stateSnapshot(opt):
    return [(id(var), sname, buf.get()) for var, st in opt.states.items() for sname, buf in st.items()]


def test_load_refuses_mismatches_and_changes_nothing(tmp_path):
    net, opt = _run("MomentumSGD", False, False, HOOKS["none"], steps=1)
    good = opt.save()

    other = Adam()
    other.setupOn(_net())
    with pytest.raises(SerializationError, match="holds the state of MomentumSGD, not of Adam"):
        other.load(good)

    bigger = Sequential().append(Linear(3, 6)).append(Activation("tanh")).append(Linear(6, 2))
    target = MomentumSGD(learnRate=0.5)
    target.setupOn(bigger)
    snapshot = _stateSnapshot(target)
    pattern = r"state 'mom' of parameter '\.0\.W' has shape \(3, 5\), expected \(3, 6\)"
    with pytest.raises(SerializationError, match=pattern):
        target.load(good)
    assert target.t == 0 and target.learnRate == 0.5
    for (_, _, before), (_, _, after) in zip(snapshot, _stateSnapshot(target)):
        np.testing.assert_array_equal(before, after)

    fewer = Sequential().append(Linear(3, 5))
    target = MomentumSGD()
    target.setupOn(fewer)
    with pytest.raises(SerializationError, match=r"parameter '\.2\.W' that the net does not have"):
        target.load(good)

    with pytest.raises(SerializationError, match="optimizer file <10 bytes> is not a readable HDF5 file"):
        opt.load(b"0123456789")
    path = tmp_path / "opt.h5"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(SerializationError, match="opt.h5"):
        opt.load(str(path))


def test_save_needs_setupOn():
    from PuzzleLib.Errors import OptimizerError
    with pytest.raises(OptimizerError, match="setupOn"):
        SGD().save()


class _CountingSGD(SGD):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        self.calls.append(param.shape)
        super().updateVar(param, grad, state, scratch, learnRate, momRate)


def _twoDtypeNet():
    net = _net()
    extra = Linear(2, 2)
    extra.calcMode(np.float64)
    return net.append(extra)


def test_global_state_is_one_call_per_dtype():
    net = _twoDtypeNet()
    opt = _CountingSGD()
    opt.setupOn(net, useGlobalState=True)
    opt.update()
    sizes = sorted(shape[0] for shape in opt.calls)
    assert len(opt.calls) == 2 and all(len(shape) == 1 for shape in opt.calls)
    assert sizes == [2 * 2 + 2, 3 * 5 + 5 + 5 * 2 + 2]
    # a variable with its own multipliers sends its group down the per-variable path
    net[0].vars["W"].learnRate = 0.5
    opt.calls.clear()
    opt.update()
    assert len(opt.calls) == 4 + 1


def test_local_state_updates_every_element_once():
    # local state may join variables adjacent in memory into one call, but covers each exactly once
    net = _twoDtypeNet()
    opt = _CountingSGD()
    opt.setupOn(net)
    opt.update()
    assert sum(int(np.prod(shape)) for shape in opt.calls) == sum(var.data.size for var in net.getVarTable())
