"""Local optimizer state: variables keep their arrays, yet adjacent ones update in one call."""
import numpy as np

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Modules import Activation, Linear
from PuzzleLib.Optimizers import MomentumSGD
from PuzzleLib.Variable import Variable


def _net():
    return Sequential().append(Linear(3, 4)).append(Activation("relu")).append(Linear(4, 2))


def test_parameters_built_in_order_form_one_run_and_keep_their_arrays():
    net = _net()
    before = {name: var.data for var, (name, *_) in net.getVarTable().items()}
    opt = MomentumSGD(0.1)
    opt.setupOn(net)
    assert len(opt.groups) == 1 and len(opt.groups[0].runs) == 1
    for var, (name, *_) in net.getVarTable().items():
        assert var.data is before[name]


def test_run_update_equals_per_variable_rule():
    np.random.seed(5)
    nets = [_net() for _ in range(2)]
    nets[1].load(nets[0].save())
    # a Variable from elsewhere breaks the run of the second net: its W lives in its own array
    W = nets[1][2].vars["W"]
    nets[1][2].setVar("W", Variable(to_gpu(W.data.get())))
    opts = [MomentumSGD(0.1, 0.9) for _ in nets]
    for net, opt in zip(nets, opts):
        opt.setupOn(net)
    assert len(opts[0].groups[0].runs) == 1 and len(opts[1].groups[0].runs) > 1
    x = to_gpu(np.random.randn(5, 3).astype(np.float32))
    g = to_gpu(np.random.randn(5, 2).astype(np.float32))
    for _ in range(3):
        for net, opt in zip(nets, opts):
            opt.zeroGradParams()
            net(x)
            net.backward(g)
            opt.update()
    for (v0, n0), (v1, n1) in zip(nets[0].getVarTable().items(), nets[1].getVarTable().items()):
        assert n0 == n1
        np.testing.assert_array_equal(v0.data.get(), v1.data.get())


def test_zeroGradParams_clears_every_run():
    net = _net()
    opt = MomentumSGD(0.1)
    opt.setupOn(net)
    for var in net.getVarTable():
        var.grad.fill(3.0)
    opt.zeroGradParams()
    assert all(not var.grad.get().any() for var in net.getVarTable())


def test_arena_hands_out_adjacent_arrays():
    a = gpuarray.paramArena.empty((2, 3), np.float32)
    b = gpuarray.paramArena.empty((4,), np.float32)
    k = gpuarray.kernels
    assert k.address(k.plain(a)) + a.nbytes == k.address(k.plain(b))


def test_a_non_contiguous_parameter_is_updated_in_place():
    # a Variable whose data is a transposed view: the update must reach that very memory
    np.random.seed(3)
    lin = Linear(3, 4)
    owner = to_gpu(np.random.randn(4, 3).astype(np.float32))
    W = Variable(owner.T)
    assert not W.data.flags.c_contiguous
    lin.setVar("W", W)
    opt = MomentumSGD(0.5, 0.0)
    opt.setupOn(lin)
    before = owner.get()
    opt.zeroGradParams()
    lin(to_gpu(np.ones((2, 3), np.float32)))
    lin.backward(to_gpu(np.ones((2, 4), np.float32)))
    expected = before.T + 0.5 * W.grad.get()
    opt.update()
    np.testing.assert_allclose(owner.get().T, expected, rtol=1e-6)
    np.testing.assert_allclose(W.data.get(), expected, rtol=1e-6)


def _trainedTwice(rebind):
    """Two MomentumSGD steps on a net whose parameters ``rebind(net)`` may replace after setupOn."""
    np.random.seed(7)
    net = _net()
    opt = MomentumSGD(0.1, 0.9)
    opt.setupOn(net)
    rebind(net)
    x = to_gpu(np.random.randn(5, 3).astype(np.float32))
    g = to_gpu(np.random.randn(5, 2).astype(np.float32))
    for _ in range(2):
        net(x)
        opt.zeroGradParams()
        net.backward(g)
        opt.update()
    return {name: var.data.get() for var, (name, *_) in net.getVarTable().items()}


def _keep(net):
    pass


def _newArrays(net):
    # the user hands each parameter (and its gradient) a new array of the same values
    for var in net.getVarTable():
        var.data = to_gpu(var.data.get())
        var.grad = to_gpu(var.grad.get())


def test_arrays_assigned_after_setupOn_are_the_ones_trained():
    # the optimizer's runs were cut over the arrays seen by setupOn: it must follow a Variable to
    # its new arrays (as the per-variable update did before runs), not update the old memory
    expected = _trainedTwice(_keep)
    got = _trainedTwice(_newArrays)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-6, err_msg=name)


def test_a_weight_decay_hook_keeps_the_runs():
    # the hook does `var.grad -= wc * var.data`: the same array handed back, so the runs stand
    from PuzzleLib.Optimizers.Hooks import WeightDecay
    net = _net()
    opt = MomentumSGD(0.1, 0.9)
    opt.setupOn(net)
    opt.addHook(WeightDecay(0.01))
    net(to_gpu(np.ones((2, 3), np.float32)))
    for _ in range(2):
        opt.zeroGradParams()
        net.backward(to_gpu(np.ones((2, 2), np.float32)))
        opt.update()
    assert len(opt.groups[0].runs) == 1


def test_a_hook_that_hands_a_variable_a_new_gradient_array_is_followed():
    # hooks are documented to work in place; one that assigns a new array must still be obeyed
    def zeroed(var, state, optimizer):
        var.grad = gpuarray.zeros(var.grad.shape, var.grad.dtype)

    net = _net()
    opt = MomentumSGD(0.1, 0.9)
    opt.setupOn(net)
    opt.addHook(zeroed)
    before = [var.data.get() for var in net.getVarTable()]
    net(to_gpu(np.ones((2, 3), np.float32)))
    opt.zeroGradParams()
    net.backward(to_gpu(np.ones((2, 2), np.float32)))
    opt.update()
    for var, old in zip(net.getVarTable(), before):
        np.testing.assert_array_equal(var.data.get(), old)
