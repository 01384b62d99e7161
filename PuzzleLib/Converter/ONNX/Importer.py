"""load: build a PuzzleLib net from an ONNX model of the operators the exporter writes."""
import os

from PuzzleLib.Converter.ONNX import _fromOnnx
from PuzzleLib.Converter.ONNX._onnx import MAX_IMPORT_OPSET, MIN_IMPORT_OPSET, requireOnnx
from PuzzleLib.Errors import ConverterError, PuzzleLibError

MAX_FILE_BYTES = 2 ** 31  # protobuf's own limit for one message


def load(path):
    """Build a PuzzleLib net from the ONNX model in ``path`` (a file written by
    :class:`ONNXExporter`, or by PyTorch's ``torch.onnx.export`` from the same kinds of layers).

    Each ONNX operator becomes the PuzzleLib module that computes it (Gemm or MatMul + Add:
    Linear; Conv, ConvTranspose: Conv/Deconv 1-3D; MaxPool, AveragePool, GlobalAveragePool;
    BatchNormalization (its running statistics), InstanceNormalization; Relu, LeakyRelu, Elu,
    Sigmoid, Tanh, Softplus, Clip, PRelu, Softmax; Flatten, Reshape, Transpose; Add, Mul, Sum,
    Concat, Split, ReduceSum; Pad, Resize, LRN, Gather (embeddings), Slice, Tile, Cast, Identity,
    Dropout; and the chains the exporter writes for Gelu (Erf; PyTorch's GELU too), GroupLinear,
    SubtractMean, MapLRN, LCN, KMaxPool, SpatialTf and RNN/LSTM/GRU). A chain comes back as a Sequential, anything else as a
    Graph, in train mode like any new net (call ``evalMode()`` for inference); the parameters are
    trainable, so the net can be fine-tuned. Names follow the ONNX tensor names ("." becomes "_").

    Anything else is refused before a module is built, in one
    :class:`~PuzzleLib.Errors.ConverterError` line that names the file and what is wrong: not an
    ONNX model (a truncated file), an opset outside 13..22, an operator without a PuzzleLib module
    (by name), a graph with a cycle.

    Parameters
    ----------
    path : str
        The .onnx file.

    Example::

        >>> import tempfile, os
        >>> from PuzzleLib.Containers import Sequential
        >>> from PuzzleLib.Modules import Conv2D, MaxPool2D, Flatten, Linear
        >>> from PuzzleLib.Converter.ONNX import ONNXExporter
        >>> net = Sequential(name="cnn").extend([Conv2D(1, 4, 3, pad=1), MaxPool2D(), Flatten(), Linear(16, 3)])
        >>> path = os.path.join(tempfile.mkdtemp(), "cnn.onnx")
        >>> _ = ONNXExporter().export(net, (1, 1, 4, 4), path)
        >>> back = load(path)
        >>> [type(m).__name__ for m in back.graph]
        ['Conv2D', 'MaxPool2D', 'Flatten', 'Linear']
        >>> x = to_gpu(np.random.randn(2, 1, 4, 4).astype(np.float32))
        >>> float(abs(back(x).get() - net(x).get()).max()) < 1e-5
        True
    """
    onnx, numpyHelper = requireOnnx("Converter.ONNX.load")
    label = os.fspath(path)

    def refuse(message):
        return ConverterError(_oneLine("%s: %s" % (label, message)))

    try:
        size = os.path.getsize(label)
        if size > MAX_FILE_BYTES:
            raise refuse("%d bytes is more than one ONNX model file can hold (2 GiB)" % size)
        with open(label, "rb") as f:
            payload = f.read()
    except OSError as e:
        raise refuse("cannot read it: %s" % (e.strerror or e)) from None
    model = onnx.ModelProto()
    try:
        model.ParseFromString(payload)
    except Exception as e:
        raise refuse("not an ONNX model (truncated or not a protobuf file: %s)" % str(e).strip().splitlines()[0]) from None
    if not model.HasField("graph") or not model.graph.node:
        raise refuse("not an ONNX model (no graph with nodes in it)")

    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    version = opsets.get("ai.onnx")
    if version is None:
        raise refuse("the model imports no ai.onnx opset")
    if not MIN_IMPORT_OPSET <= version <= MAX_IMPORT_OPSET:
        raise refuse("opset %d is not supported (ai.onnx opsets %d to %d are)" % (
            version, MIN_IMPORT_OPSET, MAX_IMPORT_OPSET))
    if model.graph.sparse_initializer:
        raise refuse("sparse initializers are not supported")

    try:
        return _fromOnnx.build(model, onnx, numpyHelper)
    except _fromOnnx.Refused as e:
        raise refuse(str(e)) from None
    except PuzzleLibError as e:
        raise refuse("cannot build the net: %s" % e) from None
    except (ValueError, TypeError, IndexError, KeyError) as e:
        raise refuse("malformed model: %s: %s" % (type(e).__name__, e)) from None


__all__ = ["load"]


def _oneLine(text, limit=2000):
    """``text`` on one printable line (names in a hostile file may hold newlines or escapes)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit] + "..."
