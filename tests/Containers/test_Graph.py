import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Graph, Node, Parallel, Sequential
from PuzzleLib.Cost import MSE
from PuzzleLib.Errors import BlueprintError, ContainerError
from PuzzleLib.Handlers import Trainer
from PuzzleLib.Modules import Activation, Linear
from PuzzleLib.Optimizers import SGD
from tests.Containers._helpers import SumList, Twice
from tests.gradcheck import checkModule


def _x(*shape):
    return to_gpu(np.random.randn(*shape).astype(np.float32))


def test_chain_graph_equals_sequential():
    fc1, act, fc2 = Linear(3, 5, name="fc1"), Activation("tanh", name="act"), Linear(5, 2, name="fc2")
    a = fc1.node()
    b = act.node(a)
    c = fc2.node(b)
    graph = Graph(inputs=a, outputs=c)
    x, g = _x(4, 3), _x(4, 2)

    out = graph(x).get()
    graph.backward(g)
    gin = graph.grad.get()
    pg = {v.name: v.grad.get().copy() for v in graph.getVarTable()}

    seq = Sequential().append(fc1.__class__(3, 5)).append(Activation("tanh")).append(Linear(5, 2))
    for src, dst in ((fc1, seq[0]), (fc2, seq[2])):
        for k in src.vars:
            dst.vars[k].data.set(src.vars[k].data.get())
            dst.vars[k].grad.fill(0)
    np.testing.assert_allclose(seq(x).get(), out, rtol=1e-6)
    seq.backward(g)
    np.testing.assert_allclose(seq.grad.get(), gin, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(seq[0].vars["W"].grad.get(), fc1.vars["W"].grad.get(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(seq[2].vars["b"].grad.get(), fc2.vars["b"].grad.get(), rtol=1e-5, atol=1e-7)
    assert set(pg) == {"W", "b"}


def _diamond():
    x = Linear(3, 4, name="fc1").node()
    left = Activation("relu", name="relu").node(x)
    right = Activation("tanh", name="tanh").node(x)
    merged = SumList(name="sum").node(left, right)
    out = Linear(4, 2, name="fc2").node(merged)
    return Graph(inputs=x, outputs=out)


@pytest.mark.parametrize("batch", [1, 3])
def test_diamond_gradients(batch):
    analytic, _ = checkModule(_diamond(), np.random.randn(batch, 3))
    assert {"input0", "fc1.W", "fc1.b", "fc2.W", "fc2.b"} <= set(analytic)


def test_multi_input_multi_output_gradients():
    a = Linear(3, 4, name="a").node()
    b = Linear(2, 4, name="b").node()
    s = SumList(name="s").node(a, b)
    t = Activation("tanh", name="t").node(s)
    u = Linear(4, 1, name="u").node(a)
    graph = Graph(inputs=[a, b], outputs=[t, u, s])
    outs = graph([_x(2, 3), _x(2, 2)])
    assert [o.shape for o in outs] == [(2, 4), (2, 1), (2, 4)]
    analytic, _ = checkModule(graph, [np.random.randn(2, 3), np.random.randn(2, 2)])
    assert {"input0", "input1", "a.W", "b.W", "u.W"} <= set(analytic)
    assert graph.dataShapeFrom([(7, 3), (7, 2)]) == [(7, 4), (7, 1), (7, 4)]
    assert graph.gradShapeFrom([(7, 4), (7, 1), (7, 4)]) == [(7, 3), (7, 2)]


def test_shared_module_at_two_nodes():
    fc = Linear(3, 3, name="fc")
    first = fc.node()
    act = Activation("tanh", name="act").node(first)
    second = fc.node(act)
    graph = Graph(inputs=first, outputs=second)
    x = np.random.randn(2, 3)
    analytic, _ = checkModule(graph, x)
    assert set(analytic) == {"input0", "fc.W", "fc.b"}

    W, b = fc.vars["W"].data.get(), fc.vars["b"].data.get()
    ref = np.tanh(x @ W + b) @ W + b
    np.testing.assert_allclose(graph(to_gpu(x)).get(), ref, rtol=1e-10)


def test_slots_of_a_list_output():
    x = Linear(3, 2, name="fc").node()
    tw = Twice(name="tw").node(x)
    s = SumList(name="s").node((tw, 1), (tw, 0), (tw, 1))
    checkModule(Graph(inputs=x, outputs=s), np.random.randn(2, 3))
    # only one slot read: the other gets a zero gradient
    x = Linear(3, 2, name="fc").node()
    tw = Twice(name="tw").node(x)
    t = Activation("tanh", name="t").node((tw, 1))
    checkModule(Graph(inputs=x, outputs=t), np.random.randn(2, 3))


def test_reading_a_slot_of_a_single_output_fails_clearly():
    x = Linear(3, 2, name="fc").node()
    t = Activation("tanh", name="t").node((x, 0))
    graph = Graph(inputs=x, outputs=t)
    with pytest.raises(ContainerError, match=r"slot 0 of Linear 'fc'.*one array"):
        graph(_x(2, 3))


def test_cycle_is_refused():
    a = Linear(2, 2, name="a").node()
    b = Activation("relu", name="b").node(a)
    c = Activation("tanh", name="c").node(b)
    b.addParents(c)
    with pytest.raises(ContainerError, match=r"cycle.*Activation 'b'.*Activation 'c'"):
        Graph(inputs=a, outputs=c)


def test_missing_input_and_unused_input():
    a = Linear(2, 2, name="a").node()
    b = Linear(2, 2, name="b").node()
    s = SumList(name="s").node(a, b)
    with pytest.raises(ContainerError, match=r"missing input: node of Linear 'b'"):
        Graph(inputs=a, outputs=s)
    c = Linear(2, 2, name="c").node()
    with pytest.raises(ContainerError, match=r"Linear 'c' does not lead to any output"):
        Graph(inputs=[a, b, c], outputs=s)
    with pytest.raises(ContainerError, match=r"input node of Activation 'r' has parents"):
        r = Activation("relu", name="r").node(a)
        Graph(inputs=[r, a], outputs=r)


def test_bad_parents_and_wrong_input_count():
    with pytest.raises(ContainerError, match=r"parents must be nodes"):
        Linear(2, 2).node(Linear(2, 2))
    a = Linear(2, 2, name="a").node()
    b = Linear(2, 2, name="b").node()
    graph = Graph(inputs=[a, b], outputs=SumList().node(a, b))
    with pytest.raises(ContainerError, match=r"expected a list of 2 input arrays.*GPUArray"):
        graph(_x(2, 2))
    with pytest.raises(ContainerError, match=r"nodes made with mod.node"):
        Graph(inputs=a, outputs=[b, "x"])
    with pytest.raises(ContainerError, match=r"nodes made with mod.node\(\.\.\.\), got Linear"):
        Graph(inputs=a, outputs=b.module, nodesOnly=True)


def test_module_stands_for_its_node_unless_nodesOnly():
    fc = Linear(2, 2, name="fc")
    act = Activation("relu", name="act")
    out = act.node(fc.node())
    graph = Graph(inputs=fc, outputs=out)
    assert graph(_x(3, 2)).shape == (3, 2)
    lone = Graph(inputs=fc, outputs=fc, name="lone")
    assert lone(_x(3, 2)).shape == (3, 2)


def test_failure_inside_names_graph_and_node():
    a = Linear(2, 3, name="a").node()
    b = Linear(4, 1, name="b").node(a)
    graph = Graph(inputs=a, outputs=b, name="g")
    with pytest.raises(ContainerError, match=r"Graph 'g': forward failed in module 'b' \(Linear\).*\(N, 4\)"):
        graph(_x(2, 2))


def test_inplace_reader_of_a_shared_output_is_refused():
    a = Linear(2, 2, name="a").node()
    r = Activation("relu", inplace=True, name="r").node(a)
    t = Activation("tanh", name="t").node(a)
    s = SumList(name="s").node(r, t)
    with pytest.raises(ContainerError, match=r"inplace module Activation 'r'.*unsafe=True"):
        Graph(inputs=a, outputs=s)
    Graph(inputs=a, outputs=s, unsafe=True)


def test_nested_containers_lookup_and_gradients():
    inner = Sequential(name="inner").append(Linear(3, 3, name="deep")).append(Activation("tanh", name="deepact"))
    par = Parallel(name="par").append(Linear(3, 2, name="p0")).append(Activation("relu", name="p1"))
    x = Linear(3, 3, name="x").node()
    i = inner.node(x)
    p = par.node(i, x)
    s = SumList(name="s").node((p, 0), (p, 0))
    graph = Graph(inputs=x, outputs=s, name="outer")
    root = Sequential(name="root").append(graph)

    assert root.getByName("deep") is inner["deep"]
    assert root.getByName("p1") is par["p1"]
    assert [m.name for m in root.getAllByType(Linear)] == ["x", "deep", "p0"]
    assert [m.name for m in root.getAllByType(Sequential)] == ["inner"]
    assert root.getAllByType(Parallel) == [par]
    with pytest.raises(ContainerError, match=r"no module named 'nope'"):
        root.getByName("nope")
    checkModule(root, np.random.randn(2, 3))


def test_unnamed_modules_are_named_in_topological_order():
    a = Linear(2, 2).node()
    b = Activation("relu", name="1").node(a)
    c = Linear(2, 2).node(b)
    graph = Graph(inputs=a, outputs=c)
    assert list(graph.modules) == ["0", "1", "2"]


def _richGraph():
    x = Linear(3, 4, name="fc1", initscheme="gaussian").node()
    left = Activation("relu", name="relu").node(x)
    seq = Sequential(name="branch").append(Linear(4, 4, initscheme="gaussian")).append(Activation("tanh"))
    right = seq.node(x)
    par = Parallel(name="par").append(Linear(4, 2, name="pa")).append(Linear(4, 2, name="pb"))
    p = par.node(left, right)
    shared = Linear(2, 2, name="shared")
    s1 = shared.node((p, 0))
    s2 = shared.node((p, 1))
    return Graph(inputs=x, outputs=[s1, s2], name="rich")


def test_blueprint_round_trip_bytes_and_path(tmp_path):
    graph = _richGraph()
    x = _x(5, 3)
    ref = [o.get() for o in graph(x)]

    data = graph.save(withBlueprint=True)
    rebuilt = Blueprint.load(data)
    assert isinstance(rebuilt, Graph) and rebuilt.name == "rich"
    assert isinstance(rebuilt.getByName("par"), Parallel)
    before, after = graph.getBlueprint(), rebuilt.getBlueprint()
    for key in ("graph", "inputs", "outputs", "nodeModules", "scheme"):
        assert after[key] == before[key]
    assert list(after["modules"]) == list(before["modules"])
    for a, b in zip(rebuilt(x), ref):
        np.testing.assert_allclose(a.get(), b, rtol=1e-6)

    path = tmp_path / "rich.h5"
    graph.save(str(path), withBlueprint=True)
    again = Blueprint.load(str(path))
    for a, b in zip(again(x), ref):
        np.testing.assert_allclose(a.get(), b, rtol=1e-6)


def test_blueprint_shape():
    bp = _richGraph().getBlueprint()
    assert bp["classname"] == "Graph"
    assert bp["inputs"] == ["fc1"][0]
    assert bp["outputs"] == ["shared", "shared@1"]
    assert bp["graph"]["par"] == [["relu", None], ["branch", None]]
    assert bp["graph"]["shared@1"] == [["par", 1]]
    assert bp["nodeModules"] == {"shared@1": "shared"}
    assert bp["modules"]["par"]["graph"] == ["pa", "pb"]


def test_bad_graph_blueprint():
    bp = _richGraph().getBlueprint()
    bp["graph"]["relu"] = [["nowhere", None]]
    with pytest.raises(BlueprintError, match=r"unknown node 'nowhere'"):
        Blueprint.build(bp)
    bp = _richGraph().getBlueprint()
    bp["graph"]["fc1"] = [["shared", None]]
    with pytest.raises(BlueprintError, match=r"cycle"):
        Blueprint.build(bp)


def test_load_parameters_into_same_structure():
    graph = _richGraph()
    data = graph.save()
    other = _richGraph()
    other.load(data)
    x = _x(2, 3)
    for a, b in zip(other(x), graph(x)):
        np.testing.assert_array_equal(a.get(), b.get())


def test_trainer_drives_graph_with_shared_module():
    np.random.seed(3)
    graph = _richGraph()
    single = Graph(inputs=graph.inputs[0], outputs=SumList(name="out").node(*graph.outputs))
    data = np.random.randn(64, 3).astype(np.float32)
    target = np.random.randn(64, 2).astype(np.float32)
    cost = MSE()
    opt = SGD(learnRate=0.05)
    opt.setupOn(single)
    trainer = Trainer(single, cost, opt, batchsize=16)
    errors = []
    for _ in range(5):
        trainer.train(to_gpu(data), to_gpu(target))
        errors.append(cost.getMeanError())
    assert errors[-1] < errors[0]


def test_with_library_split_add_concat_and_blueprint():
    from PuzzleLib.Modules import Add, Concat, Split
    x = Linear(4, 6, name="fc").node()
    sp = Split(axis=1, sections=(2, 4), name="split").node(x)
    a = Activation("relu", name="a").node((sp, 0))
    b = Linear(4, 2, name="b").node((sp, 1))
    s = Add(name="add").node(a, b)
    c = Concat(axis=1, name="cat").node(s, (sp, 1))
    graph = Graph(inputs=x, outputs=c)
    inp = _x(3, 4)
    ref = graph(inp).get()
    assert ref.shape == (3, 6)
    rebuilt = Blueprint.load(graph.save(withBlueprint=True))
    np.testing.assert_allclose(rebuilt(inp).get(), ref, rtol=1e-6)
    checkModule(graph, np.random.randn(3, 4))


def test_list_of_one_input_also_takes_a_bare_array():
    a = Linear(2, 3, name="a").node()
    graph = Graph(inputs=[a], outputs=[a])
    x = _x(4, 2)
    assert [o.shape for o in graph(x)] == [(4, 3)]
    assert [o.shape for o in graph([x])] == [(4, 3)]
    graph.backward([_x(4, 3)])
    assert isinstance(graph.grad, list) and graph.grad[0].shape == (4, 2)


def test_a_list_of_slots_feeds_those_entries_in_order():
    # PuzzleLib 1.0 programs write Concat().node((split, [1, 2]), other)
    from PuzzleLib.Modules import Concat, Split
    inp = Linear(4, 5, name="fc").node()
    other = Linear(3, 2, name="other").node()
    sp = Split(axis=1, sections=(2, 2, 1), name="split").node(inp)
    cat = Concat(axis=1, name="cat").node((sp, [2, 0]), other)
    assert [(p.name, slot) for p, slot in cat.parents] == [("split", 2), ("split", 0), ("other", None)]
    graph = Graph(inputs=[inp, other], outputs=cat)
    x, y = np.random.randn(3, 4), np.random.randn(3, 3)
    out = graph([to_gpu(x.astype(np.float32)), to_gpu(y.astype(np.float32))]).get()
    fc = graph.getByName("fc")
    h = x @ fc.vars["W"].data.get() + fc.vars["b"].data.get()
    oth = graph.getByName("other")
    o = y @ oth.vars["W"].data.get() + oth.vars["b"].data.get()
    np.testing.assert_allclose(out, np.concatenate([h[:, 4:5], h[:, 0:2], o], axis=1), rtol=1e-5, atol=1e-6)
    checkModule(graph, [x, y])
    # the split's middle entry is read by no one: gradShapeFrom takes its shape from the forward pass
    assert graph.gradShapeFrom((3, 5)) == [(3, 4), (3, 3)]


def test_gradShapeFrom_through_slots():
    from PuzzleLib.Modules import Concat, Split
    inp = Linear(4, 6, name="fc").node()
    sp = Split(axis=1, sections=(2, 4), name="split").node(inp)
    cat = Concat(axis=1, name="cat").node((sp, 1), (sp, 0))
    graph = Graph(inputs=inp, outputs=cat)
    graph(_x(3, 4))  # Concat learns its input shapes from a forward pass
    assert graph.gradShapeFrom((3, 6)) == (3, 4)


def test_a_bad_slot_list_is_refused():
    a = Linear(2, 2, name="a").node()
    for slots in ([], [1, -1], [0, "1"]):
        with pytest.raises(ContainerError, match=r"slot must be a non-negative int, a non-empty list of them"):
            Activation("relu").node((a, slots))
