"""toGraph: the flat graph of a nested net computes the same outputs and gradients, shares its
parameters, and names its nodes by the modules' paths."""
import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Graph, Parallel, Sequential
from PuzzleLib.Errors import ConverterError
from PuzzleLib.Models.Nets import loadResNet
from PuzzleLib.Modules import (Activation, Add, BatchNorm, Concat, Glue, Identity, Linear, Replicate, Split,
                               ToList)
from PuzzleLib.Passes.ConvertToGraph import toGraph
from tests.gradcheck import checkModule


def _host(value):
    return [_host(v) for v in value] if isinstance(value, list) else value.get()


def _flat(value):
    return [a for v in value for a in _flat(v)] if isinstance(value, list) else [value]


def _run(mod, x, g):
    """Output, input gradient and parameter gradients (by Variable) of one forward/backward pass."""
    for var in mod.getVarTable():
        var.grad.fill(0)
    out = _host(mod(x))
    mod.backward(g)
    return out, _host(mod.grad), {id(v): v.grad.get().copy() for v in mod.getVarTable()}


def assertSame(net, graph, x, seed=0):
    """The net and its graph agree on outputs, input gradients and every parameter gradient."""
    rng = np.random.RandomState(seed)
    out = net(x)
    g = [to_gpu(rng.randn(*o.shape).astype(o.dtype)) for o in _flat(out)]
    g = g if isinstance(out, list) else g[0]
    ref, got = _run(net, x, g), _run(graph, x, g)
    for a, b in zip(_flat(ref[0]) + _flat(ref[1]), _flat(got[0]) + _flat(got[1])):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert ref[2].keys() == got[2].keys()  # the same Variables: shared, not copied
    for key in ref[2]:
        np.testing.assert_allclose(got[2][key], ref[2][key], rtol=1e-5, atol=1e-6)


def _x(*shape, seed=1):
    return to_gpu(np.random.RandomState(seed).randn(*shape).astype(np.float32))


def nestedNet():
    """The shapes the model zoo uses: Replicate -> Parallel -> (ToList) -> Concat, an Identity
    branch, a branch that ends in a split (a nested list), containers inside containers."""
    np.random.seed(0)
    left = Sequential(name="left").append(Linear(6, 5, name="fc")).append(Activation("tanh"))
    right = Sequential(name="right").append(Linear(6, 6, name="fc")).append(Replicate(2)).append(
        Parallel().append(Linear(6, 2, name="a")).append(Linear(6, 3, name="b")))
    fork = Parallel(name="fork").append(left).append(Identity(name="skip")).append(right)
    return Sequential(name="net").append(Linear(4, 6, name="fc0")).append(Replicate(3)).append(fork).append(
        ToList()).append(Concat(axis=1, name="cat"))


def nodeNames(graph):
    return [graph._nodeNames[id(n)] for n in graph.nodes]


def test_nested_net_same_outputs_gradients_and_shared_parameters():
    net = nestedNet()
    graph = toGraph(net)
    assert isinstance(graph, Graph) and graph.name == "net"
    assert sorted(nodeNames(graph)) == ["cat", "fc0", "fork_left_1", "fork_left_fc", "fork_right_2_a",
                                        "fork_right_2_b", "fork_right_fc"]
    assert not [m for m in graph.modules.values() if isinstance(m, (Identity, Replicate, ToList))]
    # the leaf modules themselves, keeping their names; the net is unchanged
    assert graph.getByName("fork_left_fc") is net.getByName("left").getByName("fc")
    assert graph.getByName("fork_left_fc").name == "fc" and net[2][0][0].name == "fc"
    assert {id(v) for v in graph.getVarTable()} == {id(v) for v in net.getVarTable()}
    # Concat gets one parent per entry of the flattened list: left, the skip (fc0 itself), a, b
    cat = [n for n in graph.nodes if n.module.name == "cat"][0]
    assert [graph._nodeNames[id(p)] for p, _ in cat.parents] == ["fork_left_1", "fc0", "fork_right_2_a",
                                                                  "fork_right_2_b"]
    x = _x(3, 4)
    assert graph(x).shape == (3, 5 + 6 + 2 + 3)
    assertSame(net, graph, x)
    net[0].vars["W"].data.fill(0.5)  # shared: a change to the net's parameter is the graph's
    np.testing.assert_allclose(graph(x).get(), net(x).get(), rtol=1e-6)


def test_graph_gradients_against_central_differences():
    analytic, _ = checkModule(toGraph(nestedNet()), np.random.RandomState(2).randn(3, 4))
    assert {"input0", "fc0.W", "fork_left_fc.W", "fork_right_2_b.b"} <= set(analytic)


def test_assume_unique_names_uses_the_modules_names():
    np.random.seed(0)
    inner = Sequential(name="block").append(Linear(3, 3, name="fc1")).append(Activation("relu", name="relu1"))
    net = Sequential(name="net").append(inner).append(Linear(3, 2, name="fc2"))
    assert nodeNames(toGraph(net, assumeUniqueNames=True)) == ["fc1", "relu1", "fc2"]
    assert nodeNames(toGraph(net)) == ["block_fc1", "block_relu1", "fc2"]
    with pytest.raises(ConverterError, match="two modules would be named 'fc'"):
        toGraph(nestedNet(), assumeUniqueNames=True)


def test_parallel_at_the_root_takes_a_list_and_gives_a_list():
    np.random.seed(0)
    net = Parallel(name="par").append(Linear(3, 2, name="p")).append(Sequential().append(Identity()))
    graph = toGraph(net)
    assert nodeNames(graph) == ["input_1", "p"] or nodeNames(graph) == ["p", "input_1"]
    xs = [_x(4, 3), _x(4, 5, seed=2)]
    assertSame(net, graph, xs)


def test_list_outputs_are_read_by_slot_and_a_tolist_of_them_stays():
    np.random.seed(0)
    net = Sequential(name="net").append(Split(axis=1, sections=(2, 3), name="split")).append(
        Parallel().append(Linear(2, 4, name="l")).append(Linear(3, 4, name="r"))).append(Add(name="sum"))
    graph = toGraph(net)
    split = graph.getByName("split")
    assert [slot for n in graph.nodes for p, slot in n.parents if p.module is split] == [0, 1]
    assertSame(net, graph, _x(4, 5))

    # the input read by two modules comes through an Identity node; a ToList given Split's whole
    # output (a list whose length toGraph cannot know) stays a node and flattens it when run
    net = Sequential(name="net").append(Replicate(2)).append(
        Parallel().append(Split(axis=1, sections=(2, 3), name="split")).append(Identity())).append(ToList()).append(
        Parallel().append(Linear(2, 4, name="l")).append(Linear(3, 4, name="r")).append(Linear(5, 4, name="whole")))
    graph = toGraph(net)
    assert sorted(nodeNames(graph)) == ["1_split", "2", "3_l", "3_r", "3_whole", "input"]
    assert isinstance(graph.getByName("2"), ToList)
    assert [graph._nodeNames[id(p)] for p, _ in graph.nodes[[n.module.name for n in graph.nodes].index(
        "2")].parents] == ["1_split", "input"]
    assertSame(net, graph, _x(4, 5))


def test_nested_graph_is_inlined_with_its_node_names_under_its_path():
    np.random.seed(0)
    a = Linear(4, 4, name="a").node()
    b, c = Activation("relu", name="b").node(a), Activation("tanh", name="c").node(a)
    inner = Graph(inputs=a, outputs=[b, c], name="g")
    net = Sequential(name="net").append(Linear(3, 4, name="pre")).append(inner).append(Add(name="sum"))
    graph = toGraph(net)
    assert sorted(nodeNames(graph)) == ["g_a", "g_b", "g_c", "pre", "sum"]
    assertSame(net, graph, _x(2, 3))


def test_small_resnet_and_its_graph_agree():
    # as upstream's own test does with ResNet-50: the same output, here with gradients too
    np.random.seed(0)
    net = loadResNet(inmaps=3, insize=8, maps=(4, 8), blocks=1, classes=3)
    net.setAttr("mean", to_gpu(np.full((1, 3, 1, 1), 0.5, np.float32)))
    graph = toGraph(net)
    assert not any(isinstance(n.module, (Graph, Sequential, Parallel)) for n in graph.nodes)
    assert graph.getAttr("mean") is net.getAttr("mean")
    assertSame(net, graph, _x(2, 3, 8, 8))
    net.evalMode()
    graph = toGraph(net)
    assert not graph.train
    x = _x(2, 3, 8, 8)
    np.testing.assert_allclose(graph(x).get(), net(x).get(), rtol=1e-5, atol=1e-6)


def test_graph_saves_and_rebuilds_from_its_blueprint():
    net = nestedNet()
    graph = toGraph(net)
    x = _x(3, 4)
    rebuilt = Blueprint.load(graph.save(withBlueprint=True))
    assert sorted(rebuilt.modules) == sorted(graph.modules)
    np.testing.assert_allclose(rebuilt(x).get(), net(x).get(), rtol=1e-6)


def test_a_lone_module_and_a_net_of_only_wiring():
    lin = Linear(3, 2, name="fc")
    graph = toGraph(lin)
    assert nodeNames(graph) == ["fc"] and graph.getByName("fc") is lin
    x = _x(2, 3)
    np.testing.assert_allclose(graph(x).get(), lin(x).get())
    wiring = toGraph(Sequential().append(Identity()))
    np.testing.assert_array_equal(wiring(x).get(), x.get())
    # a ToList given the net's input (an array or a nested list, unknown until run) stays a node
    net = Sequential().append(ToList()).append(Concat(axis=1, name="cat"))
    graph = toGraph(net)
    assert list(graph.modules) == ["0", "cat"]
    xs = [[_x(2, 3), _x(2, 1, seed=2)], _x(2, 2, seed=3)]
    np.testing.assert_array_equal(graph(xs).get(), net(xs).get())


def test_refusals():
    glue = Glue(fwdGlue=lambda x, mods: x, bwdGlue=lambda g, mods: g, name="glue")
    with pytest.raises(ConverterError, match="Cannot convert Glue module"):
        toGraph(Sequential().append(Linear(3, 3)).append(glue))
    with pytest.raises(ConverterError, match="expected a module or container, got int"):
        toGraph(3)
    bad = Sequential().append(Replicate(2)).append(Parallel().append(Identity()))
    with pytest.raises(ConverterError, match="takes a list of 1, but is given a list of 2"):
        toGraph(bad)
    norm = Sequential(name="n").append(Sequential(name="inner").append(BatchNorm(3)))
    norm["inner"].setAttr("extra", to_gpu(np.zeros(1, np.float32)))
    with pytest.raises(ConverterError, match="'inner'.*attributes of its own"):
        toGraph(norm)


def _fill(net):
    rng = np.random.RandomState(0)
    for var in net.getVarTable():
        fan = max(var.data.size // max(var.data.shape[0], 1), 1)
        var.data.set((rng.rand(*var.data.shape).astype(np.float32) - 0.5) * np.float32(2.0 / np.sqrt(fan)))
    net.evalMode()
    return net


def test_zoo_nets_convert_with_their_file_names(monkeypatch):
    from PuzzleLib import Config
    from PuzzleLib.Models.Nets import loadInceptionV3
    monkeypatch.setattr(Config, "globalEvalMode", True)  # forward only: no gradient buffers
    net = loadResNet(None, "50")
    graph = toGraph(net, assumeUniqueNames=True)
    assert graph.name == "ResNet-50" and len(graph.nodes) == 176
    assert {"conv1", "res2a_branch1", "bn5c_branch2c", "fc1000"} <= set(nodeNames(graph))
    assert {id(v) for v in graph.getVarTable()} == {id(v) for v in net.getVarTable()}
    _fill(net)
    body = net[:-4]  # ResNet-50's body at a small image (its head pools 7x7 maps)
    x = _x(1, 3, 32, 32)
    np.testing.assert_allclose(toGraph(body)(x).get(), body(x).get(), rtol=1e-5, atol=1e-6)

    inception = loadInceptionV3(None)
    graph = toGraph(inception, assumeUniqueNames=True)
    names = set(nodeNames(graph))
    assert {"mixed_10_tower_1_mixed_conv_1_conv2d", "ch_concat_mixed_9_chconcat", "fc1"} <= names
    # the ToList that flattens mixed_9's nested towers is gone: its Concat reads six parents
    concat = [n for n in graph.nodes if n.module.name == "ch_concat_mixed_9_chconcat"][0]
    assert len(concat.parents) == 6
