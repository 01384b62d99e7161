"""What the ONNX exporter and importer share: the optional imports, the opset, dtype tables (private)."""
import numpy as np

from PuzzleLib.Errors import ConverterError

OPSET = 17
IR_VERSION = 8  # the IR version that goes with opset 17; runtimes from 2021 on read it
# the oldest and newest ai.onnx opsets whose forms of the operators used here the importer reads
MIN_IMPORT_OPSET = 13
MAX_IMPORT_OPSET = 22


def requireOnnx(what):
    """``(onnx, numpy_helper)``, or a ConverterError saying how to install the extra."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as e:
        raise ConverterError("%s needs the onnx package: pip install 'puzzlelib[onnx]' (%s)" % (what, e)) from None
    return onnx, numpy_helper


def elemType(dtype):
    """The ONNX TensorProto element type of a numpy dtype."""
    onnx, _ = requireOnnx("ONNX conversion")
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def host(array):
    """A device array (or a host one) as a host numpy array."""
    get = getattr(array, "get", None)
    return np.asarray(get() if callable(get) else array)
