"""Whole nets through ONNX (ONNX Runtime and re-import agree with PuzzleLib), the exporter's
refusals, and the importer's refusal of bad files."""
import os

import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Graph, Parallel, Sequential
from PuzzleLib.Errors import ConverterError
from PuzzleLib.Models.Nets import loadLeNet, loadResNet
from PuzzleLib import Modules as M
from PuzzleLib.Modules._norm import BatchNormND
from tests.Converter._onnxcheck import exportAndCompare, onnx, runNet, session

from PuzzleLib.Converter.ONNX import ONNXExporter, load  # noqa: E402  (after the extra's importorskip)


def _randomStats(net):
    for mod in net.getAllByType(BatchNormND):
        shape = mod.attrs["mean"].shape
        mod.setAttr("mean", to_gpu(np.random.randn(*shape).astype(np.float32) * 0.1))
        mod.setAttr("var", to_gpu(np.random.uniform(0.5, 1.5, shape).astype(np.float32)))
    return net


def _images(c, s):
    return lambda n: [np.random.randn(n, c, s, s).astype(np.float32)]


def test_tutorial_net(tmp_path):
    net = Sequential().append(M.Linear(1, 100, initscheme="gaussian")).append(M.Activation("relu"))
    net.append(M.Linear(100, 1, initscheme="gaussian"))
    exportAndCompare(net, lambda n: [np.linspace(-3, 3, n, dtype=np.float32).reshape(-1, 1)], (10, 1024), tmp_path)


def test_lenet(tmp_path):
    net = _randomStats(loadLeNet(inmaps=1, insize=8, maps=(4, 6), hidden=16, classes=10, batchNorm=True))
    exportAndCompare(net, _images(1, 8), (1, 7), tmp_path)


def test_resnet(tmp_path):
    net = _randomStats(loadResNet(inmaps=3, insize=8, classes=5, maps=(4, 8), blocks=1))
    exportAndCompare(net, _images(3, 8), (2, 3), tmp_path)


def test_graph_with_branches_and_two_outputs(tmp_path):
    inp = M.Linear(6, 8, name="in").node()
    split = M.Split(axis=1, sections=(3, 5), name="split").node(inp)
    left = M.Activation("tanh", name="left").node((split, 0))
    right = M.Linear(5, 3, name="right").node((split, 1))
    both = M.Add(name="sum").node(left, right)
    cat = M.Concat(axis=1, name="cat").node(both, left, inp)
    head = M.SoftMax(name="head").node(cat)
    net = Graph(inputs=inp, outputs=[head, right], name="branches")
    path = exportAndCompare(net, lambda n: [np.random.randn(n, 6).astype(np.float32)], (2, 5), tmp_path)
    model = onnx.load(path)
    assert [o.name for o in model.graph.output] == ["branches.head", "branches.right"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert {"branches.in.W", "branches.right.b"} <= {t.name for t in model.graph.initializer}


def test_parallel_with_two_inputs(tmp_path):
    net = Parallel().append(M.Linear(3, 2)).append(Sequential().append(M.Conv1D(2, 3, 3)).append(M.Flatten()))
    exportAndCompare(net, lambda n: [np.random.randn(n, 3).astype(np.float32), np.random.randn(n, 2, 5).astype(np.float32)],
                     (2, 4), tmp_path)


def test_bidirectional_lstm_classifier(tmp_path):
    net = Sequential(name="birnn")
    net.append(M.Embedder(20, 6, 5)).append(M.SwapAxes(0, 1))
    net.append(M.RNN(5, 7, mode="lstm", direction="bi", getSequences=False, initscheme="gaussian", wscale=0.5))
    net.append(M.Linear(14, 1))
    path = exportAndCompare(net, lambda n: [np.random.randint(-1, 20, (n, 6)).astype(np.int32)], (2, 3), tmp_path)
    assert [n.op_type for n in onnx.load(path).graph.node].count("LSTM") == 1


def test_maxpool_and_maxunpool(tmp_path):
    pool = M.MaxPool2D(2, 2, name="pool")
    net = Sequential(name="ae").append(M.Conv2D(2, 3, 3, pad=1)).append(pool).append(M.Activation("relu"))
    net.append(M.MaxUnpool2D(pool, name="unpool")).append(M.Conv2D(3, 2, 3, pad=1))
    exportAndCompare(net, _images(2, 6), (2, 3), tmp_path)
    back = load(str(tmp_path / "net.onnx"))
    assert back["unpool"].maxpool2d is back["pool"]


def test_savepath_folder_names_the_file_after_the_net(tmp_path):
    net = Sequential(name="mlp").append(M.Linear(2, 2))
    model = ONNXExporter().export(net, (1, 2), str(tmp_path))
    assert os.listdir(str(tmp_path)) == ["mlp.onnx"]
    assert model.opset_import[0].version == 17 and model.graph.name == "mlp"
    back = load(str(tmp_path / "mlp.onnx"))
    assert isinstance(back, Sequential) and back.name == "mlp" and list(back.modules) == ["0"]


def test_export_weights_false_makes_them_inputs(tmp_path):
    net = Sequential(name="mlp").append(M.Linear(2, 3))
    model = ONNXExporter(exportWeights=False).export(net, (1, 2), str(tmp_path))
    assert not model.graph.initializer
    assert [i.name for i in model.graph.input] == ["data_0", "mlp.0.W", "mlp.0.b"]
    x = np.ones((4, 2), np.float32)
    W, b = net[0].W.get(), net[0].b.get()
    out = session(str(tmp_path / "mlp.onnx")).run(None, {"data_0": x, "mlp.0.W": W, "mlp.0.b": b})[0]
    np.testing.assert_allclose(out, runNet(net, [x])[0], rtol=1e-6)


def test_calcmode_dtype_is_the_model_dtype(tmp_path):
    net = Sequential().append(M.Linear(4, 3)).append(M.Activation("relu"))
    net.calcMode(np.float64)  # float16 on the GPU backend goes the same way
    path = str(tmp_path / "double.onnx")
    model = ONNXExporter().export(net, (2, 4), path)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert {t.data_type for t in model.graph.initializer} == {onnx.TensorProto.DOUBLE}
    x = np.random.randn(3, 4)
    out = session(path).run(None, {"data_0": x})[0]
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, runNet(net, [x])[0], rtol=1e-12)
    back = load(path)
    assert back[0].vars["W"].data.dtype == np.float64
    np.testing.assert_allclose(runNet(back, [x])[0], out, rtol=1e-12)


def test_unexportable_modules_are_refused_up_front_with_no_file(tmp_path):
    pool = M.MaxPool2D(3, 2)  # overlapping windows: PuzzleLib adds where ONNX's MaxUnpool writes once
    net = Sequential(name="net").append(M.Conv2D(1, 2, 3)).append(pool).append(M.MaxUnpool2D(pool, name="unpool"))
    net.append(M.Glue(fwdGlue=lambda data, glue: data, name="glue"))
    with pytest.raises(ConverterError) as e:
        ONNXExporter().export(net, (1, 1, 5, 5), str(tmp_path))
    message = str(e.value)
    assert "MaxUnpool2D 'net.unpool'" in message and "windows overlap" in message
    assert "Glue 'net.glue'" in message and "arbitrary Python" in message
    assert "Conv2D '" not in message and "MaxPool2D '" not in message and os.listdir(str(tmp_path)) == []


def test_wrong_inshape_is_refused_naming_the_module(tmp_path):
    net = Sequential(name="net").append(M.Linear(3, 2, name="fc"))
    with pytest.raises(ConverterError, match=r"Linear 'net.fc' cannot take the input of shape \(4, 5\)"):
        ONNXExporter().export(net, (4, 5), str(tmp_path))
    with pytest.raises(ConverterError, match="inshape must be a shape"):
        ONNXExporter().export(net, (4, "x"), str(tmp_path))
    assert os.listdir(str(tmp_path)) == []


def test_an_existing_file_is_left_as_it_was_when_export_is_refused(tmp_path):
    target = tmp_path / "net.onnx"
    target.write_bytes(b"old")
    with pytest.raises(ConverterError):
        ONNXExporter().export(Sequential().append(M.Glue(fwdGlue=lambda data, glue: data)), (2, 5), str(target))
    assert target.read_bytes() == b"old"


# ---- bad files ------------------------------------------------------------------------------------------

def _goodFile(tmp_path):
    net = Sequential(name="mlp").append(M.Linear(3, 4)).append(M.Activation("relu")).append(M.Linear(4, 2))
    path = str(tmp_path / "good.onnx")
    ONNXExporter().export(net, (1, 3), path)
    return path


def _refused(path, pattern):
    with pytest.raises(ConverterError) as e:
        load(path)
    message = str(e.value)
    assert message.startswith(path + ": ") and "\n" not in message, message
    assert pattern in message, message


def test_truncated_file_is_refused(tmp_path):
    good = open(_goodFile(tmp_path), "rb").read()
    bad = tmp_path / "truncated.onnx"
    bad.write_bytes(good[:len(good) // 2])
    _refused(str(bad), "not an ONNX model")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    _refused(str(junk), "not an ONNX model")
    _refused(str(tmp_path / "missing.onnx"), "cannot read it")


def test_wrong_opset_is_refused(tmp_path):
    model = onnx.load(_goodFile(tmp_path))
    model.opset_import[0].version = 9
    path = str(tmp_path / "old.onnx")
    onnx.save(model, path)
    _refused(path, "opset 9 is not supported")


def test_unknown_operator_is_refused_by_name(tmp_path):
    model = onnx.load(_goodFile(tmp_path))
    model.graph.node[1].op_type = "HardSwish"
    path = str(tmp_path / "unknown.onnx")
    onnx.save(model, path)
    _refused(path, "operator HardSwish (first at HardSwish node")


def test_graph_with_a_cycle_is_refused(tmp_path):
    model = onnx.load(_goodFile(tmp_path))
    first = model.graph.node[0]
    first.input[0] = model.graph.node[1].output[0]  # the first node now reads the relu's output
    path = str(tmp_path / "cycle.onnx")
    onnx.save(model, path)
    _refused(path, "the graph has a cycle")


def test_unsupported_attribute_is_refused_naming_the_node(tmp_path):
    model = onnx.load(_goodFile(tmp_path))
    helper = onnx.helper
    model.graph.node[0].attribute.append(helper.make_attribute("alpha", 2.0))
    path = str(tmp_path / "alpha.onnx")
    onnx.save(model, path)
    _refused(path, "Gemm node writing 'mlp.0': only alpha = beta = 1")


def test_external_data_is_never_read(tmp_path):
    model = onnx.load(_goodFile(tmp_path))
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(12, dtype=np.float32).tobytes())
    weight = model.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.data_location = onnx.TensorProto.EXTERNAL
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "secret.bin"
    path = str(tmp_path / "external.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    _refused(path, "initializer 'mlp.0.W' keeps its data in an external file")


def test_a_cast_between_dtypes_keeps_each_modules_dtype(tmp_path):
    head = M.Linear(3, 2)
    head.calcMode(np.float64)
    net = Sequential().append(M.Linear(4, 3)).append(M.Cast(np.float32, np.float64)).append(head)
    net.append(M.MulAddConst(2.0, 1.0))
    net[3].calcMode(np.float64)
    exportAndCompare(net, lambda n: [np.random.randn(n, 4).astype(np.float32)], (2, 3), tmp_path)


def test_corrupted_files_load_or_are_refused_on_one_line(tmp_path):
    net = Sequential(name="n").extend([M.Embedder(9, 4, 3), M.SwapAxes(0, 1), M.RNN(3, 4, mode="gru", direction="bi"),
                                       M.Split(axis=1, sections=(3, 5)), M.Concat(axis=1), M.Linear(8, 3), M.Gelu()])
    good = tmp_path / "good.onnx"
    ONNXExporter().export(net, (1, 4), str(good))
    payload = good.read_bytes()
    rng = np.random.RandomState(0)
    path = str(tmp_path / "flipped.onnx")
    for _ in range(300):  # seeded byte flips: a net, or one ConverterError line naming the file
        flipped = bytearray(payload)
        for index in rng.randint(0, len(flipped), size=rng.randint(1, 4)):
            flipped[index] ^= int(rng.choice([0x01, 0x80, 0xFF]))
        with open(path, "wb") as f:
            f.write(bytes(flipped))
        try:
            load(path)
        except ConverterError as e:
            assert str(e).startswith(path + ": ") and "\n" not in str(e)
