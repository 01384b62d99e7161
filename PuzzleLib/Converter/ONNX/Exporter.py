"""ONNXExporter: write a PuzzleLib net as an ONNX model (opset 17)."""
import numbers
import os
import tempfile

import numpy as np

from PuzzleLib.Converter.ONNX import _toOnnx
from PuzzleLib.Converter.ONNX._onnx import IR_VERSION, OPSET, elemType, requireOnnx
from PuzzleLib.Errors import ConverterError, PuzzleLibError
from PuzzleLib.Modules.Embedder import Embedder
from PuzzleLib.Modules.GroupLinear import GroupLinear
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules.RNN import RNN


class ONNXExporter:
    """Translates a net (Sequential, Parallel or Graph of supported modules) into an ONNX model.

    The model computes what the net computes in eval mode (BatchNorm with its running
    statistics, Dropout and noise off), in the net's ``calcMode`` dtype, with opset 17 and a
    dynamic batch axis ("batch"; a time-major RNN input also gets "seq"). Tensors are named after
    the modules' dotted paths ("net.block.fc1"), parameters after their variables
    ("net.block.fc1.W"); the inputs are "data_0", "data_1", ... Modules without an ONNX
    counterpart (Glue, a MaxUnpool2D over overlapping windows, ...) are refused before anything is written, in one
    :class:`~PuzzleLib.Errors.ConverterError` naming each module, its type and why.

    Needs the ``onnx`` extra (``pip install 'puzzlelib[onnx]'``); :func:`load` reads a model back.

    Parameters
    ----------
    validate : bool
        Run ``onnx.checker`` (with shape inference) on the model before saving.
    exportWeights : bool
        Store the parameters as initializers; when False they become extra graph inputs.

    Example::

        >>> import os, tempfile
        >>> from PuzzleLib.Containers import Sequential
        >>> from PuzzleLib.Modules import Linear, Activation
        >>> from PuzzleLib.Converter.ONNX import ONNXExporter, load
        >>> net = Sequential(name="mlp").append(Linear(3, 4)).append(Activation("relu")).append(Linear(4, 2))
        >>> folder = tempfile.mkdtemp()
        >>> model = ONNXExporter().export(net, inshape=(5, 3), savepath=folder)
        >>> [o.name for o in model.graph.output], os.path.exists(os.path.join(folder, "mlp.onnx"))
        (['mlp.2'], True)
        >>> back = load(os.path.join(folder, "mlp.onnx"))       # and back: a PuzzleLib net
        >>> x = to_gpu(np.ones((2, 3), np.float32))
        >>> bool(np.allclose(back(x).get(), net(x).get(), atol=1e-6))
        True
    """

    def __init__(self, validate=True, exportWeights=True):
        self.validate = bool(validate)
        self.exportWeights = bool(exportWeights)

    def export(self, net, inshape, savepath):
        """Build the model for inputs of ``inshape`` (one shape, or a list of shapes for several
        inputs; the batch size in it is only an example), write it and return the ModelProto.

        ``savepath`` is a folder (the file is "<savepath>/<net.name>.onnx", "net.onnx" for an
        unnamed net) or a file name ending in ".onnx". The file is written whole or not at all.
        """
        onnx, _ = requireOnnx("ONNXExporter")
        if not isinstance(net, Module):
            raise ConverterError("ONNXExporter: expected a module or container to export, got %s" % type(net).__name__)
        shapes, several = _parseInshape(inshape)
        root = net.name if net.name is not None else "net"

        refused = [(path, mod, why) for path, mod in _toOnnx.leaves(net, root)
                   for why in [_toOnnx.refusal(mod)] if why is not None]
        if refused:
            raise ConverterError("ONNXExporter: cannot export %s: %s" % (
                root, "; ".join("%s '%s': %s" % (type(m).__name__, p, why)
                               for p, m, why in refused)))

        dtype = np.dtype(net.calctype)
        builder = _toOnnx.Builder(dtype)
        inputs, dynamic = [], []
        for i, shape in enumerate(shapes):
            leaf = _toOnnx.firstLeaf(net, i)
            indtype = np.dtype(np.int32) if isinstance(leaf, Embedder) else dtype
            if isinstance(leaf, RNN) and len(shape) == 3:
                axes = {0: "seq", 1: "batch"}
            elif isinstance(leaf, GroupLinear) and leaf.batchDim == 1 and len(shape) == 3:
                axes = {1: "batch"}
            else:
                axes = {0: "batch"}
            inputs.append(_toOnnx.Value(builder.fresh("data_%d" % i), shape, indtype))
            dynamic.append(axes)
        if not _batchIsFree(net, shapes, dynamic, several):
            dynamic = [{} for _ in shapes]

        out = _toOnnx.emit(builder, net, root, inputs if several else inputs[0])
        outputs = _flatten(out)
        outDims = _outputDims(net, shapes, dynamic, several, outputs)

        helper = onnx.helper
        graphInputs = [helper.make_tensor_value_info(v.name, elemType(v.dtype),
                                                     [axes.get(k, d) for k, d in enumerate(v.shape)])
                       for v, axes in zip(inputs, dynamic)]
        graphOutputs = []
        taken = {v.name for v in inputs}
        for v, dims in zip(outputs, outDims):
            name = v.name
            if name in taken:  # an input passed straight through, or one tensor given out twice
                name = builder.node("Identity", [name], [builder.fresh(name + "/out")])
            taken.add(name)
            graphOutputs.append(helper.make_tensor_value_info(name, elemType(v.dtype), dims))

        initializers = builder.initializers
        if not self.exportWeights:
            graphInputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in initializers]
            initializers = []
        graph = helper.make_graph(builder.nodes, root, graphInputs, graphOutputs, initializer=initializers)
        model = helper.make_model(graph, producer_name="PuzzleLib", opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        from PuzzleLib import __version__
        model.producer_version = __version__

        if self.validate:
            try:
                onnx.checker.check_model(model, full_check=True)
            except Exception as e:
                raise ConverterError("ONNXExporter: the model of %s fails onnx.checker: %s" % (
                    root, str(e).strip().splitlines()[0])) from None

        path = savepath if str(savepath).endswith(".onnx") else os.path.join(savepath, root + ".onnx")
        try:
            payload = model.SerializeToString()
        except ValueError as e:  # protobuf's 2 GiB limit for one message
            raise ConverterError("ONNXExporter: the model of %s cannot be written as one file: %s" % (root, e)) from None
        _writeAtomically(path, payload)
        return model


def _parseInshape(inshape):
    def isShape(s):
        return isinstance(s, (tuple, list)) and len(s) > 0 and all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in s)

    if isShape(inshape):
        return [tuple(int(d) for d in inshape)], False
    if isinstance(inshape, (tuple, list)) and inshape and all(isShape(s) for s in inshape):
        return [tuple(int(d) for d in s) for s in inshape], True
    raise ConverterError("ONNXExporter: inshape must be a shape of positive ints (e.g. (1, 3, 32, 32)) or a list "
                         "of them, got %r" % (inshape,))


def _probe(net, shapes, dynamic, several, grow):
    probed = [tuple(d + grow.get(axes.get(k), 0) for k, d in enumerate(s)) for s, axes in zip(shapes, dynamic)]
    result = net.dataShapeFrom(probed if several else probed[0])
    return _flattenShapes(result)


def _batchIsFree(net, shapes, dynamic, several):
    """Whether the net takes other batch sizes (a Reshape with a fixed batch does not)."""
    try:
        _probe(net, shapes, dynamic, several, {"batch": 1, "seq": 2})
        return True
    except PuzzleLibError:
        return False


def _outputDims(net, shapes, dynamic, several, outputs):
    """The outputs' dims: symbolic where they follow a dynamic input axis."""
    dims = [list(v.shape) for v in outputs]
    if not any(dynamic):
        return dims
    try:
        base = _probe(net, shapes, dynamic, several, {})
        moved = {name: _probe(net, shapes, dynamic, several, {name: 1}) for name in ("batch", "seq")}
    except PuzzleLibError:
        return [[None] * len(d) for d in dims]
    if len(base) != len(dims):
        return [[None] * len(d) for d in dims]
    for k, shape in enumerate(base):
        for axis in range(len(shape)):
            for name, probe in moved.items():
                if len(probe[k]) == len(shape) and probe[k][axis] != shape[axis]:
                    dims[k][axis] = name
    return dims


def _flatten(value):
    if isinstance(value, list):
        return [v for item in value for v in _flatten(item)]
    return [value]


def _flattenShapes(shape):
    if isinstance(shape, list):
        return [s for item in shape for s in _flattenShapes(item)]
    return [tuple(shape)]


def _writeAtomically(path, payload):
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".onnx", dir=folder)
    except OSError as e:
        raise ConverterError("ONNXExporter: cannot write %s: %s" % (path, e.strerror or e)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except OSError as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise ConverterError("ONNXExporter: cannot write %s: %s" % (path, e.strerror or e)) from None
