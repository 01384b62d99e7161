"""Shared helpers of the ONNX tests: export, run in ONNX Runtime, compare."""
import os

import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed (pip install 'puzzlelib[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (pip install 'puzzlelib[onnx]')")

RTOL = 1e-5


def session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def runNet(net, xs):
    """PuzzleLib's outputs for host inputs ``xs`` (a list), as a flat list of host arrays."""
    out = net(to_gpu(xs[0]) if len(xs) == 1 else [to_gpu(x) for x in xs])
    return [o.get() for o in _flat(out)]


def runOnnx(sess, xs):
    names = [i.name for i in sess.get_inputs()]
    return sess.run(None, dict(zip(names, xs)))


def assertClose(actual, expected, rtol=RTOL, what=""):
    """|actual - expected| <= rtol * max|expected| (elementwise, relative to the output's scale)."""
    assert len(actual) == len(expected), what
    for a, e in zip(actual, expected):
        assert a.shape == e.shape, "%s: shape %s vs %s" % (what, a.shape, e.shape)
        scale = max(float(np.abs(e).max()) if e.size else 0.0, 1e-30)
        err = float(np.abs(a.astype(np.float64) - e).max()) if e.size else 0.0
        assert err <= rtol * scale, "%s: max error %.3g over scale %.3g (> %g relative)" % (what, err, scale, rtol)


def exportAndCompare(net, makeInputs, batches, tmpdir, name="net.onnx", rtol=RTOL, roundTrip=True):
    """Export ``net`` (eval mode) for the first batch size, then compare PuzzleLib and ONNX
    Runtime on inputs ``makeInputs(batch)`` for every batch size; with ``roundTrip`` also the net
    ``load`` builds from the file. Returns the file's path."""
    from PuzzleLib.Converter.ONNX import ONNXExporter, load
    net.evalMode()
    path = os.path.join(str(tmpdir), name)
    shapes = [x.shape for x in makeInputs(batches[0])]
    ONNXExporter().export(net, shapes if len(shapes) > 1 else shapes[0], path)
    sess = session(path)
    for batch in batches:
        xs = makeInputs(batch)
        expected = runNet(net, xs)
        assertClose(runOnnx(sess, xs), expected, rtol, what="batch %d" % batch)
        if roundTrip:
            back = load(path)
            back.evalMode()
            assertClose(runNet(back, xs), expected, rtol, what="imported, batch %d" % batch)
    return path


def _flat(value):
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _flat(item)]
    return [value]
