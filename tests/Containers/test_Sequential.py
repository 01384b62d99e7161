import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Errors import ContainerError, ModuleError
from PuzzleLib.Modules import Activation, Linear
from PuzzleLib.Modules.Activation import relu, sigmoid, softPlus, tanh
from tests.gradcheck import checkModule


def _net(name=None, sizes=(3, 4, 2), act=tanh):
    net = Sequential(name=name)
    for i in range(len(sizes) - 1):
        if i > 0:
            net.append(Activation(act))
        net.append(Linear(sizes[i], sizes[i + 1], initscheme="gaussian"))
    return net


def _params(net):
    return {names[0]: var.data.get().copy() for var, names in net.getVarTable().items()}


def _grads(net):
    return {names[0]: var.grad.get().copy() for var, names in net.getVarTable().items()}


def _assertSame(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


# ---- building and naming ----

def test_naming_by_position():
    net = _net(sizes=(3, 4, 5, 2))
    assert list(net.modules) == ["0", "1", "2", "3", "4"]
    assert [m.name for m in net.graph] == ["0", "1", "2", "3", "4"]
    assert sorted(n for names in net.getVarTable().values() for n in names) == \
        ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]


def test_named_modules_keep_their_names():
    net = Sequential(name="net")
    net.append(Linear(2, 3, name="fc1")).append(Activation(relu)).append(Linear(3, 1, name="fc2"))
    assert list(net.modules) == ["fc1", "1", "fc2"]
    assert net["fc1"] is net[0]
    assert net.getByName("fc2") is net[2]


def test_append_returns_the_container():
    net = Sequential()
    lin = Linear(2, 3)
    assert net.append(lin) is net
    assert net.extend([Activation(relu), Linear(3, 1)]) is net
    assert len(net) == 3 and net[0] is lin


def test_duplicate_name_is_refused():
    net = Sequential(name="net").append(Linear(2, 2, name="fc"))
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*'fc'.*already"):
        net.append(Linear(2, 2, name="fc"))
    assert len(net) == 1


def test_append_refuses_non_modules():
    net = Sequential(name="net")
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*modules.*int"):
        net.append(3)
    assert len(net) == 0


# ---- indexing ----

def test_int_str_and_negative_indexing():
    net = _net()
    assert net[0] is net.graph[0]
    assert net[-1] is net.graph[2]
    assert net["1"] is net.graph[1]
    with pytest.raises(ContainerError, match=r"Sequential.*index 5 out of range for 3"):
        net[5]
    with pytest.raises(ContainerError, match=r"Sequential.*no module named 'x'"):
        net["x"]
    with pytest.raises(ContainerError, match=r"Sequential.*index must be"):
        net[1.5]


def test_slicing_shares_modules():
    net = _net(sizes=(3, 4, 5, 2))
    part = net[1:4]
    assert isinstance(part, Sequential)
    assert [m for m in part.graph] == net.graph[1:4]
    assert all(a is b for a, b in zip(part.graph, net.graph[1:4]))
    # a change through the slice is a change in the net: same Variables
    part[1].vars["W"].data.fill(0.5)
    np.testing.assert_array_equal(net[2].vars["W"].data.get(), np.full((4, 5), 0.5, np.float32))
    # the slice runs on its own
    x = to_gpu(np.random.randn(2, 4).astype(np.float32))
    assert part(x).shape == (2, 5)
    # and the slice's output equals running those modules by hand
    h = net[1](x)
    h = net[2](h)
    expected = net[3](h).get()
    np.testing.assert_allclose(part(x).get(), expected, rtol=1e-6)
    assert len(net) == 5


def test_insert_and_pop():
    net = Sequential()
    a, b, c = Linear(2, 3, name="a"), Activation(relu, name="b"), Linear(3, 1, name="c")
    net.append(a).append(c)
    assert net.insert(1, b) is net
    assert net.graph == [a, b, c]
    assert list(net.modules) == ["a", "b", "c"]
    x = to_gpu(np.random.randn(4, 2).astype(np.float32))
    assert net(x).shape == (4, 1)

    assert net.pop() is c
    assert net.graph == [a, b] and list(net.modules) == ["a", "b"]
    assert net.pop(0) is a
    assert net.graph == [b] and list(net.modules) == ["b"]
    assert net.pop() is b
    with pytest.raises(ContainerError, match=r"pop from an empty"):
        net.pop()
    with pytest.raises(ContainerError, match=r"insert index 5 out of range"):
        net.insert(5, Linear(2, 2))


def test_insert_unnamed_gets_a_free_name():
    net = _net()  # "0", "1", "2"
    lin = Linear(4, 4)
    net.insert(1, lin)
    assert net[1] is lin
    assert lin.name not in ("0", "1", "2")
    assert len(set(net.modules)) == 4


def test_forward_is_the_modules_in_order():
    net = _net(sizes=(3, 4, 2), act=relu)
    x = np.random.randn(5, 3).astype(np.float32)
    W0, b0 = net[0].vars["W"].data.get(), net[0].vars["b"].data.get()
    W2, b2 = net[2].vars["W"].data.get(), net[2].vars["b"].data.get()
    expected = np.maximum(x @ W0 + b0, 0) @ W2 + b2
    np.testing.assert_allclose(net(to_gpu(x)).get(), expected, rtol=1e-5, atol=1e-6)
    assert net.dataShapeFrom((5, 3)) == (5, 2)
    assert net.gradShapeFrom((5, 2)) == (5, 3)


# ---- gradients ----

@pytest.mark.parametrize("sizes,batch,act", [((3, 4, 2), 5, tanh), ((2, 3, 3, 1), 4, sigmoid),
                                             ((1, 6, 2), 3, softPlus)])
def test_gradient_of_whole_net(sizes, batch, act):
    net = _net(sizes=sizes, act=act)
    analytic, _ = checkModule(net, np.random.randn(batch, sizes[0]))
    nlin = len(sizes) - 1
    expected = {"input0"} | {"%d.%s" % (2 * i, p) for i in range(nlin) for p in "Wb"}
    assert set(analytic) == expected


def test_nested_sequential_gradient():
    inner = _net(name="inner", sizes=(4, 3, 4))
    net = Sequential().append(Linear(2, 4, initscheme="gaussian")).append(Activation(tanh)).append(inner)
    analytic, _ = checkModule(net, np.random.randn(3, 2))
    assert set(analytic) == {"input0", "0.W", "0.b", "inner.0.W", "inner.0.b", "inner.2.W", "inner.2.b"}


def test_accumulation_across_two_backward_calls():
    net = _net()
    x = to_gpu(np.random.randn(4, 3).astype(np.float32))
    g = to_gpu(np.random.randn(4, 2).astype(np.float32))
    net(x)
    net.backward(g)
    once = _grads(net)
    assert any(np.abs(v).sum() > 0 for v in once.values())
    net(x)
    net.backward(g)  # default momentum=1.0: adds onto the previous gradients
    twice = _grads(net)
    for key in once:
        np.testing.assert_allclose(twice[key], 2 * once[key], rtol=1e-6, err_msg=key)

    net(x)
    net.backward(g, momentum=0.0)  # overwrite
    for key, value in _grads(net).items():
        np.testing.assert_allclose(value, once[key], rtol=1e-6, err_msg=key)

    net(x)
    net.backward(g, scale=0.5, momentum=1.0)
    for key, value in _grads(net).items():
        np.testing.assert_allclose(value, 1.5 * once[key], rtol=1e-6, err_msg=key)


def test_backward_updGrad_false_gives_no_input_grad_but_param_grads():
    net = _net()
    net(to_gpu(np.random.randn(4, 3).astype(np.float32)))
    out = net.backward(to_gpu(np.ones((4, 2), np.float32)), updGrad=False)
    assert out is None
    assert np.abs(net[0].vars["W"].grad.get()).sum() > 0


def test_backward_in_eval_mode_leaves_param_grads():
    net = _net()
    net.evalMode()
    assert not net.train and all(not m.train for m in net.graph)
    net(to_gpu(np.random.randn(4, 3).astype(np.float32)))
    grad = net.backward(to_gpu(np.ones((4, 2), np.float32)))
    assert grad.shape == (4, 3)
    assert all(np.all(v == 0) for v in _grads(net).values())
    net.trainMode()
    assert net.train and all(m.train for m in net.graph)


# ---- bad input ----

def test_float64_into_float32_net():
    net = _net(name="net")
    before = _params(net)
    with pytest.raises(ModuleError, match=r"Sequential 'net'.*module 0 \(Linear\).*float32.*float64"):
        net(to_gpu(np.zeros((2, 3), np.float64)))
    _assertSame(before, _params(net))


def test_3d_data_into_net():
    net = _net(name="net")
    before = _params(net)
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*module 0 \(Linear\).*2-d.*\(2, 3, 1\)"):
        net(to_gpu(np.zeros((2, 3, 1), np.float32)))
    _assertSame(before, _params(net))


def test_wrong_width_inside_names_index_and_type():
    net = Sequential(name="net").append(Linear(3, 4)).append(Activation(relu)).append(Linear(5, 2))
    before = _params(net)
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*forward.*module 2 \(Linear\).*\(N, 5\).*\(2, 4\)"):
        net(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*module 0 \(Linear\).*\(N, 3\).*\(2, 7\)"):
        net(to_gpu(np.zeros((2, 7), np.float32)))
    _assertSame(before, _params(net))


def test_bad_gradient_leaves_params_and_grads():
    net = _net(name="net")
    net(to_gpu(np.random.randn(2, 3).astype(np.float32)))
    before, beforeGrads = _params(net), _grads(net)
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*\(2, 2\).*\(2, 3\)"):
        net.backward(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*module 2 \(Linear\).*float32.*float64"):
        net.backward(to_gpu(np.zeros((2, 2), np.float64)))
    _assertSame(before, _params(net))
    _assertSame(beforeGrads, _grads(net))


def test_backward_before_forward():
    net = _net(name="net")
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*before a forward"):
        net.backward(to_gpu(np.zeros((2, 2), np.float32)))


def test_empty_net_refuses_to_run():
    with pytest.raises(ContainerError, match=r"Sequential 'e'.*no modules"):
        Sequential(name="e")(to_gpu(np.zeros((2, 3), np.float32)))


def test_str_lists_modules():
    text = str(_net(name="net"))
    assert "Sequential" in text and "net" in text and "Linear" in text and "3 -> 4" in text and "tanh" in text


def test_append_after_pop_names_uniquely():
    net = _net()  # "0", "1", "2"
    net.pop(0)
    lin = Linear(2, 2)
    net.append(lin)  # position 2 is taken by "2": the new module gets a free name
    assert net[-1] is lin
    assert len(set(net.modules)) == 3 and lin.name not in ("1", "2")


@pytest.mark.parametrize("afterZeroGrad", [False, True])
def test_shared_variable_gradient_sums_both_uses(afterZeroGrad):
    from PuzzleLib.Optimizers import SGD
    from tests.gradcheck import numericalGrad

    a, b = Linear(2, 2, initscheme="gaussian"), Linear(2, 2, initscheme="gaussian")
    b.setVar("W", a.vars["W"])
    net = Sequential().append(a).append(Activation(tanh)).append(b)
    net.calcMode(np.float64)
    shared = a.vars["W"]
    assert list(net.getVarTable()[shared]) == ["0.W", "2.W"]
    x = np.random.randn(3, 2)
    g = np.random.randn(3, 2)
    if afterZeroGrad:
        opt = SGD()
        opt.setupOn(net)
        shared.grad.fill(7.0)  # stale values the optimizer must clear
        opt.zeroGradParams()
    net(to_gpu(x))
    net.backward(to_gpu(g))
    analytic = shared.grad.get()

    host = shared.data.get()

    def objective():
        shared.data.set(host)
        return float(np.sum(net(to_gpu(x)).get() * g))

    numeric = numericalGrad(objective, host, 1e-6)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_pop_out_of_range_is_a_container_error():
    net = _net(name="net")
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*pop index 5 out of range for 3"):
        net.pop(5)
    with pytest.raises(ContainerError, match=r"Sequential 'net'.*pop index 'a'"):
        net.pop("a")
    assert len(net) == 3 and list(net.modules) == ["0", "1", "2"]


def test_inplace_activation_inside_a_net_gradient():
    net = Sequential().append(Linear(3, 4, initscheme="gaussian")).append(Activation(tanh, inplace=True)) \
        .append(Linear(4, 2, initscheme="gaussian")).append(Activation(sigmoid, inplace=True))
    checkModule(net, np.random.randn(5, 3))


def test_blueprint_keeps_activation_slice_and_inplace():
    from PuzzleLib import Blueprint
    net = Sequential().append(Linear(2, 4, initscheme="gaussian")) \
        .append(Activation(tanh, slc=(slice(None), slice(1, 3)), inplace=True))
    rebuilt = Blueprint.load(net.save(withBlueprint=True))
    assert rebuilt[1].slc == (slice(None), slice(1, 3)) and rebuilt[1].inplace
    x = np.random.randn(3, 2).astype(np.float32)
    np.testing.assert_array_equal(net(to_gpu(x)).get(), rebuilt(to_gpu(x)).get())


def test_insert_and_pop_refuse_non_int_indices_and_change_nothing():
    net = _net(name="net")
    with pytest.raises(ContainerError, match=r"Sequential 'net': insert index 'a' is not an int"):
        net.insert("a", Linear(2, 2))
    with pytest.raises(ContainerError, match=r"Sequential 'net': pop index 1.5 is not an int"):
        net.pop(1.5)
    assert list(net.modules) == ["0", "1", "2"] and len(net.graph) == 3


def test_extend_refuses_a_non_iterable_and_a_bad_module_adds_none():
    net = _net(name="net")
    with pytest.raises(ContainerError, match=r"Sequential 'net': extend takes an iterable of modules, got int"):
        net.extend(3)
    lin, act = Linear(2, 2), Activation(relu)
    with pytest.raises(ContainerError, match=r"can only hold modules, got str"):
        net.extend([lin, act, "relu"])
    assert list(net.modules) == ["0", "1", "2"] and len(net.graph) == 3
    assert lin.name is None and act.name is None
    assert net.extend([lin, act]) is net and list(net.modules) == ["0", "1", "2", "3", "4"]


def test_a_container_cannot_hold_itself():
    net = _net(name="net")
    with pytest.raises(ContainerError, match=r"Sequential 'net': cannot hold Sequential 'net'"):
        net.append(net)
    outer = Sequential(name="outer").append(net)
    with pytest.raises(ContainerError, match=r"cannot hold Sequential 'outer', which is or contains"):
        net.append(outer)
    assert list(net.modules) == ["0", "1", "2"] and len(net.graph) == 3


def test_appending_a_module_class_instead_of_a_module_says_so():
    net = _net(name="net")
    with pytest.raises(ContainerError, match=r"Sequential 'net': got the class Linear itself; pass a module made from it"):
        net.append(Linear)
    assert len(net) == 3


def test_getVar_and_setVar_take_the_dotted_names_of_getVarTable():
    # getVarTable names a container's parameters "block.fc1.W", "1.b", ... but getVar refused them
    from PuzzleLib.Variable import Variable
    block = Sequential(name="block").append(Linear(2, 3, name="fc1"))
    net = Sequential().append(block).append(Linear(3, 1))
    for var, names in net.getVarTable().items():
        assert net.getVar(names[0]) is var
    with pytest.raises(ModuleError, match=r"Sequential: no variable 'W' \(has \['block.fc1.W', 'block.fc1.b', '1.W'"):
        net.getVar("W")
    new = Variable(to_gpu(np.ones((3, 1), np.float32)))
    net.setVar("1.W", new)
    assert net[1].vars["W"] is new and net.getVar("1.W") is new
    with pytest.raises(ModuleError, match=r"Linear '1'.*setVar\('W'\).*\(3, 1\).*\(1, 3\)"):
        net.setVar("1.W", Variable(to_gpu(np.ones((1, 3), np.float32))))
    with pytest.raises(ModuleError, match=r"Sequential: setVar\('9.W'\): no variable at that name"):
        net.setVar("9.W", new)
    assert net[1].vars["W"] is new


def test_zeroGradParams_and_updateParams_reach_every_module_inside():
    # PuzzleLib 1.0 programs call net.zeroGradParams() and net.updateParams(lr) without an optimizer
    inner = _net(sizes=(3, 4))
    net = Sequential().append(inner).append(Activation(tanh)).append(Linear(4, 2))
    x, g = to_gpu(np.random.randn(5, 3).astype(np.float32)), to_gpu(np.random.randn(5, 2).astype(np.float32))
    net(x)
    net.backward(g)
    table = net.getVarTable()
    assert len(table) == 4
    before = {var: (var.data.get().copy(), var.grad.get().copy()) for var in table}
    assert all(np.abs(gr).max() > 0 for _, gr in before.values())
    net.updateParams(1e-2)
    for var, (data, grad) in before.items():
        np.testing.assert_allclose(var.data.get(), data + 1e-2 * grad, rtol=1e-6, atol=1e-7)
    net.zeroGradParams()
    assert all(not var.grad.get().any() for var in table)
    # containers accumulate (momentum=1): after zeroing, one backward gives one batch's gradients
    net(x)
    net.backward(g)
    net(x)
    net.backward(g)
    twice = [var.grad.get().copy() for var in table]
    net.zeroGradParams()
    net(x)
    net.backward(g)
    for var, t in zip(table, twice):
        np.testing.assert_allclose(2 * var.grad.get(), t, rtol=1e-5, atol=1e-7)
