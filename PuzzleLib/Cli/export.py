"""``puzzlelib export MODEL.h5 MODEL.onnx [--inshape N,...]``: a saved net as an ONNX model.

The model file must carry a blueprint (``puzzlelib restore`` writes one; so does
``net.save(path, withBlueprint=True)``). Without ``--inshape`` the input shape is read from the
net's first layer when it fixes one (Linear: ``1,insize``); the batch size in it is only an
example, the ONNX model takes any.
"""
import sys

DESCRIPTION = ("Write a model file with a blueprint (what restore writes, or net.save(..., withBlueprint=True)) "
               "as an ONNX model (opset 17, any batch size) that ONNX Runtime, TensorRT or OpenVINO can run. "
               "Needs the onnx extra: pip install 'puzzlelib[onnx]'.")


def addParser(sub, pathType):
    """Add the ``export`` subcommand to the subparsers ``sub``."""
    export = sub.add_parser("export", allow_abbrev=False, help="write a saved net as an ONNX model",
                            description=DESCRIPTION,
                            epilog="Example: puzzlelib export restore-out/model.h5 model.onnx")
    export.add_argument("model", metavar="MODEL.h5", type=pathType, help="a model file with a blueprint")
    export.add_argument("onnx", metavar="MODEL.onnx", type=pathType, help="the ONNX file to write")
    export.add_argument("--inshape", metavar="N,D,...", type=_inshape, default=None,
                        help="the input's shape, batch first (default: from the first layer when it fixes "
                             "one, e.g. 1,insize for Linear)")
    export.add_argument("--backend", choices=("cpu", "cuda", "auto"), default=None,
                        help="array backend (default: PUZZLELIB_BACKEND, else auto)")
    return export


def _inshape(text):
    import argparse
    text = text.lstrip("\x00")
    try:
        dims = tuple(int(p) for p in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("--inshape takes sizes separated by commas, e.g. 1,3,32,32; got %r" % text) from None
    if not dims or any(d < 1 or d > 1 << 31 for d in dims):
        raise argparse.ArgumentTypeError("--inshape sizes must be positive, got %r" % text)
    return dims


def run(args, prog, usageError):
    """Do the export; returns the exit status. ``usageError`` is the CLI's exception for refused input."""
    if not args.onnx.endswith(".onnx"):
        raise usageError("the output file name must end in .onnx, got %s" % args.onnx)
    from PuzzleLib.Cli._model import loadModel
    from PuzzleLib.Errors import ConverterError

    net = loadModel(args.model, usageError)
    net.evalMode()

    inshape = args.inshape or _guessInshape(net)
    if inshape is None:
        raise usageError("cannot tell the input shape of %s from its first layer; give --inshape N,..." % args.model)

    from PuzzleLib.Converter.ONNX import ONNXExporter
    try:
        model = ONNXExporter().export(net, inshape, args.onnx)
    except ConverterError as e:
        if "needs the onnx package" in str(e):
            print("%s: error: %s" % (prog, e), file=sys.stderr)
            return 1
        raise usageError(str(e)) from None
    graph = model.graph
    print("wrote %s: %d nodes, opset %d; input %s, output%s %s" % (
        args.onnx, len(graph.node), model.opset_import[0].version, _describe(graph.input[0]),
        "s" if len(graph.output) > 1 else "", ", ".join(_describe(o) for o in graph.output)))
    return 0


def _guessInshape(net):
    from PuzzleLib.Converter.ONNX._toOnnx import firstLeaf
    from PuzzleLib.Modules.Linear import Linear
    leaf = firstLeaf(net)
    if isinstance(leaf, Linear):
        return (1, leaf.insize)
    return None


def _describe(info):
    dims = [d.dim_param or str(d.dim_value) for d in info.type.tensor_type.shape.dim]
    return "%s [%s]" % (info.name, ", ".join(dims))
