"""The module-by-module translation of a PuzzleLib net into ONNX nodes (private; see Exporter.py).

Each leaf module becomes one or a few ONNX nodes whose last output is named after the module's
dotted path ("net.block.fc1"); its parameters become initializers "<path>.W", "<path>.b", ...
The graph computes what the net computes in eval mode (BatchNorm with its running statistics,
Dropout and noise switched off).
"""
import math

import numpy as np

from PuzzleLib.Containers.Graph import Graph
from PuzzleLib.Containers.Parallel import Parallel
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Converter.ONNX._onnx import elemType, host, requireOnnx
from PuzzleLib.Errors import ConverterError
from PuzzleLib import Modules as M
from PuzzleLib.Modules._conv import ConvND, DeconvND
from PuzzleLib.Modules._norm import BatchNormND, InstanceNormND
from PuzzleLib.Modules._pad import _Pad
from PuzzleLib.Modules._permute import _Permute
from PuzzleLib.Modules._pool import AvgPoolND, MaxPoolND
from PuzzleLib.Modules._upsample import _Upsample


class Value:
    """A tensor of the graph being built: its name, its shape for the example batch, its dtype."""

    def __init__(self, name, shape, dtype):
        self.name = name
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)


class Builder:
    """Collects nodes and initializers; hands out unique tensor names."""

    def __init__(self, dtype):
        self.onnx, self.numpyHelper = requireOnnx("ONNXExporter")
        self.dtype = np.dtype(dtype)
        self.nodes = []
        self.initializers = []
        self.names = set()
        self._shared = {}
        self.poolIndices = {}  # id(MaxPool2D with a mask) -> (its Indices tensor, its input tensor)

    def fresh(self, name):
        if name not in self.names:
            self.names.add(name)
            return name
        k = 1
        while "%s@%d" % (name, k) in self.names:
            k += 1
        name = "%s@%d" % (name, k)
        self.names.add(name)
        return name

    def const(self, name, array, key=None):
        """An initializer holding ``array`` (already of its final dtype); ``key`` shares one between
        the nodes of a module that sits at several places of a Graph."""
        if key is not None and key in self._shared:
            return self._shared[key]
        name = self.fresh(name)
        self.initializers.append(self.numpyHelper.from_array(np.ascontiguousarray(array), name))
        if key is not None:
            self._shared[key] = name
        return name

    def param(self, mod, path, var, array=None):
        """A module's variable or attribute as an initializer "<path>.<var>" in the net's dtype."""
        if array is None:
            array = host(mod.vars[var].data if var in mod.vars else mod.attrs[var])
        return self.const("%s.%s" % (path, var), np.asarray(array, dtype=self.dtype), key=(id(mod), var))

    def ints(self, name, values):
        return self.const(name, np.asarray(values, dtype=np.int64))

    def scalar(self, name, value):
        return self.const(name, np.asarray(value, dtype=self.dtype))

    def node(self, op, inputs, outputs, **attrs):
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), list(outputs), **attrs))
        return outputs[0] if len(outputs) == 1 else list(outputs)


# ---- what cannot be exported, and why ----------------------------------------------------------------

def refusal(mod):
    """Why ``mod`` (a leaf) cannot be exported, or None."""
    if isinstance(mod, M.Activation) and mod.slc is not None and \
            (not isinstance(mod.slc, tuple) or (mod.slc and mod.slc[0] != slice(None))):
        return "its slc %r slices the batch axis, whose size the ONNX model leaves open" % (mod.slc,)
    if isinstance(mod, M.MaxUnpool2D) and mod._overlaps():
        return ("its MaxPool2D's windows overlap: where one value is two windows' maximum PuzzleLib adds, "
                "ONNX's MaxUnpool writes once")
    for cls, why in _REFUSED:
        if isinstance(mod, cls):
            return why
    if _handlerFor(mod) is None:
        return "no ONNX translation is known for this module type"
    return None


_REFUSED = (
    (M.Glue, "it runs arbitrary Python functions"),
)


# ---- the translations -----------------------------------------------------------------------------------

def _linear(b, mod, path, x):
    W = b.param(mod, path, "W")
    inputs = [x.name, W]
    if mod.useBias:
        inputs.append(b.param(mod, path, "b"))
    return b.node("Gemm", inputs, [b.fresh(path)], transB=int(mod.transpose))


def _groupLinear(b, mod, path, x):
    # group-major (G, N, size) throughout: batched MatMul with W (G or 1, in, out), bias (G or 1, 1, out)
    if mod.inmode == "one" and len(x.shape) == 2:
        y = b.node("Unsqueeze", [x.name, b.ints(path + ".axes", [0])], [b.fresh(path + "/x")])
    elif mod.batchDim == 0:
        y = b.node("Transpose", [x.name], [b.fresh(path + "/x")], perm=[1, 0, 2])
    else:
        y = x.name
    if mod.useW:
        W = host(mod.vars["W"].data)
        W = W.transpose(0, 2, 1) if mod.transpW else W
        y = b.node("MatMul", [y, b.param(mod, path, "W", W)], [b.fresh(path + "/xW")])
    if mod.useBias:
        bias = host(mod.vars["b"].data)
        y = b.node("Add", [y, b.param(mod, path, "b", bias.reshape(bias.shape[0], 1, bias.shape[1]))],
                   [b.fresh(path + "/xWb")])
    if mod.inmode == "one" and (mod.wmode == "one" or not mod.useW) and (mod.wmode == "one" or not mod.useBias) \
            and mod.groups > 1:
        y = b.node("Tile", [y, b.ints(path + ".repeats", [mod.groups, 1, 1])], [b.fresh(path + "/tiled")])
    if mod.batchDim == 0:
        return b.node("Transpose", [y], [b.fresh(path)], perm=[1, 0, 2])
    return b.node("Identity", [y], [b.fresh(path)])


def _spatialAttrs(mod):
    return dict(kernel_shape=list(mod.size), strides=list(mod.stride), pads=list(mod.pad) * 2)


def _conv(b, mod, path, x):
    attrs = _spatialAttrs(mod)
    attrs.update(dilations=list(mod.dilation), group=mod.groups)
    W = host(mod.vars["W"].data)  # Conv1D/Deconv1D keep PuzzleLib 1.0's (.., .., 1, size) layout
    inputs = [x.name, b.param(mod, path, "W", W.reshape(W.shape[:2] + tuple(mod.size)))]
    if mod.useBias:
        inputs.append(b.param(mod, path, "b", host(mod.vars["b"].data).reshape(-1)))
    if isinstance(mod, DeconvND):
        attrs["output_padding"] = list(mod.postpad)
        return b.node("ConvTranspose", inputs, [b.fresh(path)], **attrs)
    return b.node("Conv", inputs, [b.fresh(path)], **attrs)


def _maxPool(b, mod, path, x):
    if getattr(mod, "useMask", False):  # a MaxUnpool2D may read where each maximum came from
        out, indices = b.node("MaxPool", [x.name], [b.fresh(path), b.fresh(path + ".indices")], **_spatialAttrs(mod))
        b.poolIndices[id(mod)] = (indices, x.name)
        return out
    return b.node("MaxPool", [x.name], [b.fresh(path)], **_spatialAttrs(mod))


def _maxUnpool(b, mod, path, x):
    pool = mod.maxpool2d
    if id(pool) not in b.poolIndices:
        raise ConverterError("ONNXExporter: MaxUnpool2D '%s' reads the mask of %s, which the net does not run "
                             "before it" % (path, pool._label()))
    indices, poolInput = b.poolIndices[id(pool)]
    shape = b.node("Shape", [poolInput], [b.fresh(path + "/shape")])
    return b.node("MaxUnpool", [x.name, indices, shape], [b.fresh(path)], **_spatialAttrs(pool))


def _avgPool(b, mod, path, x):
    return b.node("AveragePool", [x.name], [b.fresh(path)], count_include_pad=int(mod.includePad),
                  **_spatialAttrs(mod))


def _scaleBias(b, mod, path):
    if mod.affine:
        scale = host(mod.vars["scale"].data).reshape(-1)
        bias = host(mod.vars["bias"].data).reshape(-1)
    else:
        scale, bias = np.ones(mod.maps), np.zeros(mod.maps)
    return b.param(mod, path, "scale", scale), b.param(mod, path, "bias", bias)


def _batchNorm(b, mod, path, x):
    scale, bias = _scaleBias(b, mod, path)
    mean = b.param(mod, path, "mean", host(mod.attrs["mean"]).reshape(-1))
    var = b.param(mod, path, "var", host(mod.attrs["var"]).reshape(-1))
    return b.node("BatchNormalization", [x.name, scale, bias, mean, var], [b.fresh(path)], epsilon=mod.epsilon)


def _instanceNorm(b, mod, path, x):
    scale, bias = _scaleBias(b, mod, path)
    return b.node("InstanceNormalization", [x.name, scale, bias], [b.fresh(path)], epsilon=mod.epsilon)


def _activation(b, mod, path, x):
    if mod.slc is not None:
        # Where(mask, act(x), x): the mask (the sample's shape) marks the slice
        mask = np.zeros(x.shape[1:], dtype=bool)
        mask[mod.slc[1:]] = True
        inner = _activationOp(b, mod, path, x, b.fresh(path + "/all"))
        return b.node("Where", [b.const(path + ".mask", mask), inner, x.name], [b.fresh(path)])
    return _activationOp(b, mod, path, x, b.fresh(path))


def _activationOp(b, mod, path, x, name):
    out = [name]
    act, args = mod.activation, mod.actArgs
    if act == "leakyRelu":
        return b.node("LeakyRelu", [x.name], out, alpha=args[0])
    if act == "elu":
        return b.node("Elu", [x.name], out, alpha=args[0])
    if act == "clip":
        return b.node("Clip", [x.name, b.scalar(path + ".min", args[0]), b.scalar(path + ".max", args[1])], out)
    op = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softPlus": "Softplus"}[act]
    return b.node(op, [x.name], out)


def _gelu(b, mod, path, x):
    # 0.5 * x * (1 + erf(x / sqrt(2))), the erf form the module computes
    scaled = b.node("Mul", [x.name, b.scalar(path + ".k", math.sqrt(0.5))], [b.fresh(path + "/xk")])
    erf = b.node("Erf", [scaled], [b.fresh(path + "/erf")])
    half = b.node("Mul", [x.name, b.scalar(path + ".half", 0.5)], [b.fresh(path + "/hx")])
    onePlus = b.node("Add", [erf, b.scalar(path + ".one", 1.0)], [b.fresh(path + "/1erf")])
    return b.node("Mul", [half, onePlus], [b.fresh(path)])


def _prelu(b, mod, path, x):
    slopes = host(mod.vars["slopes"].data)
    shape = (1,) * (len(x.shape) - 1) if mod.sharedMaps else (mod.maps,) + (1,) * (len(x.shape) - 2)
    return b.node("PRelu", [x.name, b.param(mod, path, "slopes", slopes.reshape(shape))], [b.fresh(path)])


def _softmax(b, mod, path, x):
    return b.node("Softmax", [x.name], [b.fresh(path)], axis=1)


def _flatten(b, mod, path, x):
    return b.node("Flatten", [x.name], [b.fresh(path)], axis=1)


def _reshape(b, mod, path, x):
    return b.node("Reshape", [x.name, b.ints(path + ".shape", mod.shape)], [b.fresh(path)])


def _permute(b, mod, path, x):
    return b.node("Transpose", [x.name], [b.fresh(path)], perm=list(mod._perm(len(x.shape))))


def _identity(b, mod, path, x):
    return b.node("Identity", [x.name], [b.fresh(path)])


def _add(b, mod, path, xs):
    op = "Add" if len(xs) == 2 else "Sum"
    return b.node(op, [x.name for x in xs], [b.fresh(path)])


def _mul(b, mod, path, xs):
    out = xs[0].name
    for k, x in enumerate(xs[1:]):
        out = b.node("Mul", [out, x.name], [b.fresh(path if k == len(xs) - 2 else "%s/%d" % (path, k))])
    return out


def _concat(b, mod, path, xs):
    return b.node("Concat", [x.name for x in xs], [b.fresh(path)], axis=mod.axis)


def _depthConcat(b, mod, path, xs):
    spatial = [max(x.shape[k] for x in xs) for k in range(2, len(xs[0].shape))]
    padded = []
    for i, x in enumerate(xs):
        before = [(m - s) // 2 for m, s in zip(spatial, x.shape[2:])]
        after = [m - s - p for m, s, p in zip(spatial, x.shape[2:], before)]
        if not any(before) and not any(after):
            padded.append(x.name)
            continue
        pads = [0, 0] + before + [0, 0] + after
        padded.append(b.node("Pad", [x.name, b.ints("%s.pads%d" % (path, i), pads)], [b.fresh("%s/%d" % (path, i))]))
    return b.node("Concat", padded, [b.fresh(path)], axis=1)


def _split(b, mod, path, x):
    axis = mod.axis % len(x.shape)
    sizes = mod._sizes(x.shape[axis])
    outs = [b.fresh("%s.%d" % (path, i)) for i in range(len(sizes))]
    b.node("Split", [x.name, b.ints(path + ".split", sizes)], outs, axis=axis)
    return outs


def _sum(b, mod, path, x):
    if mod.useWeights:
        x, w = x
        axis = mod.axis % len(x.shape)
        extra = list(range(len(w.shape), len(x.shape)))
        wname = w.name
        if extra:
            wname = b.node("Unsqueeze", [w.name, b.ints(path + ".waxes", extra)], [b.fresh(path + "/w")])
        xname = b.node("Mul", [x.name, wname], [b.fresh(path + "/xw")])
    else:
        axis = mod.axis % len(x.shape)
        xname = x.name
    return b.node("ReduceSum", [xname, b.ints(path + ".axes", [axis])], [b.fresh(path)], keepdims=0)


def _pad(b, mod, path, x):
    lead = len(x.shape) - len(mod.pad)
    pads = [0] * lead + [p[0] for p in mod.pad] + [0] * lead + [p[1] for p in mod.pad]
    inputs = [x.name, b.ints(path + ".pads", pads)]
    if mod.mode == "constant":
        inputs.append(b.scalar(path + ".value", mod.fillValue or 0.0))
        return b.node("Pad", inputs, [b.fresh(path)], mode="constant")
    return b.node("Pad", inputs, [b.fresh(path)], mode="reflect")


def _upsample(b, mod, path, x):
    scales = b.const(path + ".scales", np.asarray([1.0, 1.0] + [mod.scale] * (len(x.shape) - 2), dtype=np.float32))
    if mod.mode == "nearest":
        return b.node("Resize", [x.name, "", scales], [b.fresh(path)], mode="nearest",
                      coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    return b.node("Resize", [x.name, "", scales], [b.fresh(path)], mode="linear",
                  coordinate_transformation_mode="half_pixel")


def _mulAddConst(b, mod, path, x):
    scaled = b.node("Mul", [x.name, b.scalar(path + ".a", mod.a)], [b.fresh(path + "/ax")])
    return b.node("Add", [scaled, b.scalar(path + ".b", mod.b)], [b.fresh(path)])


def _lrn(b, mod, path, x):
    if mod.N % 2 == 0:  # ONNX Runtime runs LRN for odd sizes only: the window mean over channels by hand
        return _evenLRN(b, mod, path, x)
    return b.node("LRN", [x.name], [b.fresh(path)], size=mod.N, alpha=mod.alpha, beta=mod.beta, bias=mod.K)


def _windowMean(b, mod, path, x, N, includePad, tag):
    """The mean of each N x N window reaching (N - 1) // 2 back and N // 2 forward (AveragePool, stride 1)."""
    lo, hi = (N - 1) // 2, N // 2
    return b.node("AveragePool", [x], [b.fresh("%s/%s" % (path, tag))], kernel_shape=[N, N], strides=[1, 1],
                  pads=[lo, lo, hi, hi], count_include_pad=int(includePad))


def _subtractMean(b, mod, path, x, out=None):
    mean = _windowMean(b, mod, path, x.name, mod.size, mod.includePad, "mean")
    return b.node("Sub", [x.name, mean], [b.fresh(out or path)])


def _mapLRN(b, mod, path, x):
    # y = x * (K + alpha * mean_NxN(x**2)) ** -beta: the zero-padded window sum over N**2 is its mean
    sq = b.node("Mul", [x.name, x.name], [b.fresh(path + "/sq")])
    mean = _windowMean(b, mod, path, sq, mod.N, True, "sqmean")
    scaled = b.node("Mul", [mean, b.scalar(path + ".alpha", mod.alpha)], [b.fresh(path + "/scaled")])
    base = b.node("Add", [scaled, b.scalar(path + ".K", mod.K)], [b.fresh(path + "/base")])
    factor = b.node("Pow", [base, b.scalar(path + ".negBeta", -mod.beta)], [b.fresh(path + "/factor")])
    return b.node("Mul", [x.name, factor], [b.fresh(path)])


def _lcn(b, mod, path, x):
    # y = x * (K + alpha / N**2 * S) ** -beta, S = sum over the window inside the map of (x_j - m)**2
    #   = N**2 * (A(x**2) - 2 m A(x) + A(1) m**2), A the zero-padded window mean, m the local mean
    def mul(a, c, tag):
        return b.node("Mul", [a, c], [b.fresh("%s/%s" % (path, tag))])

    mean = _windowMean(b, mod, path, x.name, mod.N, mod.includePad, "mean")
    sumSq = _windowMean(b, mod, path, mul(x.name, x.name, "sq"), mod.N, True, "sqmean")
    sumX = _windowMean(b, mod, path, x.name, mod.N, True, "xmean")
    ones = b.node("Add", [mul(x.name, b.scalar(path + ".zero", 0.0), "zero"), b.scalar(path + ".one", 1.0)],
                  [b.fresh(path + "/ones")])
    inside = _windowMean(b, mod, path, ones, mod.N, True, "inside")
    cross = mul(mul(mean, sumX, "msum"), b.scalar(path + ".two", 2.0), "cross")
    spread = b.node("Add", [b.node("Sub", [sumSq, cross], [b.fresh(path + "/sqless")]),
                            mul(inside, mul(mean, mean, "m2"), "cm2")], [b.fresh(path + "/spread")])
    base = b.node("Add", [mul(spread, b.scalar(path + ".alpha", mod.alpha), "scaled"), b.scalar(path + ".K", mod.K)],
                  [b.fresh(path + "/base")])
    factor = b.node("Pow", [base, b.scalar(path + ".negBeta", -mod.beta)], [b.fresh(path + "/factor")])
    return b.node("Mul", [x.name, factor], [b.fresh(path)])


def _kmaxPool(b, mod, path, x):
    # the k largest values (which ones tie for the last place does not change the values), then
    # those k in ascending order
    axis = mod.axis % len(x.shape)
    k = b.ints(path + ".k", [mod.topk])
    top, _ = b.node("TopK", [x.name, k], [b.fresh(path + "/top"), b.fresh(path + "/topIdx")], axis=axis,
                    largest=1, sorted=1)
    out, _ = b.node("TopK", [top, k], [b.fresh(path), b.fresh(path + "/order")], axis=axis, largest=0, sorted=1)
    return out


def _spatialTf(b, mod, path, xs):
    # grid (N, outH, outW, 2) = base (outH * outW, 3) @ theta^T, then GridSample with align_corners
    x, theta = xs
    outH, outW = mod.dataShapeFrom([x.shape, theta.shape])[2:]
    gx, gy = np.meshgrid(np.linspace(-1, 1, outW), np.linspace(-1, 1, outH))
    base = np.stack([gx.ravel(), gy.ravel(), np.ones(outH * outW)], axis=1)
    thetaT = b.node("Transpose", [theta.name], [b.fresh(path + "/thetaT")], perm=[0, 2, 1])
    grid = b.node("MatMul", [b.scalar(path + ".base", base), thetaT], [b.fresh(path + "/points")])
    grid = b.node("Reshape", [grid, b.ints(path + ".gridShape", [0, outH, outW, 2])], [b.fresh(path + "/grid")])
    return b.node("GridSample", [x.name, grid], [b.fresh(path)], align_corners=1, mode="bilinear",
                  padding_mode="zeros")


def _evenLRN(b, mod, path, x):
    # y = x * (K + alpha * mean_c(x**2)) ** -beta, the channel window (c - (N-1)//2 .. c + N//2, zeros
    # outside) averaged by a 3-d AveragePool over (C, H, W) with a 1 x 1 spatial kernel
    lo, hi = (mod.N - 1) // 2, mod.N // 2
    spatial = len(x.shape) - 2
    sq = b.node("Mul", [x.name, x.name], [b.fresh(path + "/sq")])
    axis = b.ints(path + ".axis", [1])
    lifted = b.node("Unsqueeze", [sq, axis], [b.fresh(path + "/lifted")])
    mean = b.node("AveragePool", [lifted], [b.fresh(path + "/sqmean")], kernel_shape=[mod.N] + [1] * spatial,
                  strides=[1] * (spatial + 1), pads=[lo] + [0] * spatial + [hi] + [0] * spatial, count_include_pad=1)
    mean = b.node("Squeeze", [mean, axis], [b.fresh(path + "/mean")])
    scaled = b.node("Mul", [mean, b.scalar(path + ".alpha", mod.alpha)], [b.fresh(path + "/scaled")])
    base = b.node("Add", [scaled, b.scalar(path + ".K", mod.K)], [b.fresh(path + "/base")])
    factor = b.node("Pow", [base, b.scalar(path + ".negBeta", -mod.beta)], [b.fresh(path + "/factor")])
    return b.node("Mul", [x.name, factor], [b.fresh(path)])


def _embedder(b, mod, path, x):
    # a zero row at the end takes every negative (padding) index, which Max(idx, -1) sends to -1
    W = host(mod.vars["W"].data)
    table = np.concatenate([W, np.zeros((1, W.shape[1]), W.dtype)], axis=0)
    floor = b.const(path + ".padIndex", np.asarray(-1, dtype=x.dtype))
    idx = b.node("Max", [x.name, floor], [b.fresh(path + "/idx")])
    return b.node("Gather", [b.param(mod, path, "W", table), idx], [b.fresh(path)], axis=0)


def _slice(b, mod, path, x):
    starts, ends, axes, steps = [], [], [], []
    for axis, s in enumerate(mod.slc):
        if s == slice(None):
            continue
        start, stop, step = s.indices(x.shape[axis]) if axis != 0 else (s.start or 0, s.stop, s.step or 1)
        if axis == 0 and stop is None:
            stop = np.iinfo(np.int64).max
        starts.append(start)
        ends.append(stop)
        axes.append(axis)
        steps.append(step)
    if not axes:
        return b.node("Identity", [x.name], [b.fresh(path)])
    return b.node("Slice", [x.name, b.ints(path + ".starts", starts), b.ints(path + ".ends", ends),
                            b.ints(path + ".axes", axes), b.ints(path + ".steps", steps)], [b.fresh(path)])


def _tile(b, mod, path, x):
    repeats = [1] * len(x.shape)
    repeats[mod.axis % len(x.shape)] = mod.times
    return b.node("Tile", [x.name, b.ints(path + ".repeats", repeats)], [b.fresh(path)])


def _cast(b, mod, path, x):
    return b.node("Cast", [x.name], [b.fresh(path)], to=elemType(mod.outtype))


def _replicate(b, mod, path, x):
    return [x.name] * mod.times


def _toList(b, mod, path, x):
    return [v.name for v in x] if isinstance(x, list) else [x.name]


_GATE_ORDER = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2), "relu": (0,), "tanh": (0,)}  # ONNX's order of ours
_RNN_OP = {"lstm": "LSTM", "gru": "GRU", "relu": "RNN", "tanh": "RNN"}


def _rnn(b, mod, path, x):
    H, T = mod.hsize, mod.gates
    order = _GATE_ORDER[mod.mode]
    seq = x.name
    for layer in range(mod.layers):
        Ws, Rs, Bs = [], [], []
        for suffix in mod._suffixes():
            W, R, bias = (host(mod.vars[k % (layer, suffix)].data) for k in ("W%d%s", "R%d%s", "b%d%s"))
            Ws.append(np.concatenate([W[:, g * H:(g + 1) * H].T for g in order], axis=0))
            Rs.append(np.concatenate([R[:, g * H:(g + 1) * H].T for g in order], axis=0))
            Bs.append(np.concatenate([bias[g * H:(g + 1) * H] for g in order] + [np.zeros(T * H, bias.dtype)]))
        lpath = "%s.layer%d" % (path, layer)
        inputs = [seq] + [b.param(mod, path, "layer%d.%s" % (layer, var), np.stack(arrays))
                          for var, arrays in (("W", Ws), ("R", Rs), ("B", Bs))]
        attrs = dict(hidden_size=H, direction="bidirectional" if mod.dirs == 2 else "forward")
        if mod.mode == "gru":
            attrs["linear_before_reset"] = 1
        elif mod.mode != "lstm":
            attrs["activations"] = ["Relu" if mod.mode == "relu" else "Tanh"] * mod.dirs
        last = layer == mod.layers - 1
        Y, Yh = b.fresh(lpath + "/Y"), b.fresh(lpath + "/Yh")
        b.node(_RNN_OP[mod.mode], inputs, [Y, Yh], **attrs)
        if last and not mod.getSequences:
            t = b.node("Transpose", [Yh], [b.fresh(lpath + "/YhT")], perm=[1, 0, 2])
            return b.node("Reshape", [t, b.ints(lpath + ".stateShape", [0, -1])], [b.fresh(path)])
        t = b.node("Transpose", [Y], [b.fresh(lpath + "/YT")], perm=[0, 2, 1, 3])
        seq = b.node("Reshape", [t, b.ints(lpath + ".seqShape", [0, 0, -1])],
                     [b.fresh(path if last else lpath + "/out")])
    return seq


_HANDLERS = (
    (M.Linear, _linear),
    (ConvND, _conv),
    (DeconvND, _conv),
    (M.MaxUnpool2D, _maxUnpool),
    (MaxPoolND, _maxPool),
    (AvgPoolND, _avgPool),
    (BatchNormND, _batchNorm),
    (InstanceNormND, _instanceNorm),
    (M.Activation, _activation),
    (M.Gelu, _gelu),
    (M.PRelu, _prelu),
    (M.SoftMax, _softmax),
    (M.Flatten, _flatten),
    (M.Reshape, _reshape),
    (_Permute, _permute),  # Transpose, SwapAxes, MoveAxis
    (M.Identity, _identity),
    (M.Dropout, _identity),
    (M.Dropout2D, _identity),
    (M.NoiseInjector, _identity),
    (M.Penalty, _identity),
    (M.Add, _add),
    (M.Mul, _mul),
    (M.Concat, _concat),
    (M.DepthConcat, _depthConcat),
    (M.Split, _split),
    (M.Sum, _sum),
    (_Pad, _pad),
    (_Upsample, _upsample),
    (M.MulAddConst, _mulAddConst),
    (M.CrossMapLRN, _lrn),
    (M.MapLRN, _mapLRN),
    (M.LCN, _lcn),
    (M.SubtractMean, _subtractMean),
    (M.Embedder, _embedder),
    (M.Slice, _slice),
    (M.Tile, _tile),
    (M.Cast, _cast),
    (M.Replicate, _replicate),
    (M.ToList, _toList),
    (M.RNN, _rnn),
    (M.GroupLinear, _groupLinear),
    (M.KMaxPool, _kmaxPool),
    (M.SpatialTf, _spatialTf),
)


def _handlerFor(mod):
    for cls, fn in _HANDLERS:
        if isinstance(mod, cls):
            return fn
    return None


# ---- walking the net ----------------------------------------------------------------------------------

def leaves(mod, path):
    """(path, module) of every leaf module of ``mod``, in the order the containers hold them."""
    if isinstance(mod, (Sequential, Parallel)):
        for child in mod.graph:
            yield from leaves(child, "%s.%s" % (path, child.name))
    elif isinstance(mod, Graph):
        for node in mod.nodes:
            yield from leaves(node.module, "%s.%s" % (path, mod._nodeNames[id(node)]))
    else:
        yield path, mod


def firstLeaf(mod, index=0):
    """The leaf module that input ``index`` of ``mod`` reaches first (None when it reaches none)."""
    while True:
        if isinstance(mod, Sequential):
            if not mod.graph:
                return None
            mod = mod.graph[0]
        elif isinstance(mod, Parallel):
            if index >= len(mod.graph):
                return None
            mod, index = mod.graph[index], 0
        elif isinstance(mod, Graph):
            if index >= len(mod.inputs):
                return None
            mod, index = mod.inputs[index].module, 0
        else:
            return mod


def _names(value):
    return [v.name for v in value] if isinstance(value, list) else value.name


def emit(b, mod, path, x):
    """Translate ``mod`` applied to ``x`` (a Value or a list of them); returns the output Value(s)."""
    if isinstance(mod, Sequential):
        for child in mod.graph:
            x = emit(b, child, "%s.%s" % (path, child.name), x)
        return x
    if isinstance(mod, Parallel):
        if not isinstance(x, list) or len(x) != len(mod.graph):
            raise ConverterError("ONNXExporter: %s '%s' takes a list of %d inputs, got %s" % (
                type(mod).__name__, path, len(mod.graph), "a list of %d" % len(x) if isinstance(x, list) else "one"))
        return [emit(b, child, "%s.%s" % (path, child.name), xi) for child, xi in zip(mod.graph, x)]
    if isinstance(mod, Graph):
        ins = x if isinstance(x, list) else [x]
        if len(ins) != len(mod.inputs):
            raise ConverterError("ONNXExporter: Graph '%s' takes %d inputs, got %d" % (path, len(mod.inputs), len(ins)))
        outs = {}
        given = {id(n): v for n, v in zip(mod.inputs, ins)}
        for node in mod.nodes:
            if node.parents:
                vals = []
                for parent, slot in node.parents:
                    v = outs[id(parent)]
                    vals.append(v[slot] if slot is not None else v)
                value = vals[0] if len(vals) == 1 else vals
            else:
                value = given[id(node)]
            outs[id(node)] = emit(b, node.module, "%s.%s" % (path, mod._nodeNames[id(node)]), value)
        result = [outs[id(n)] for n in mod.outputs]
        return result[0] if mod._singleOut else result
    return _emitLeaf(b, mod, path, x)


def _emitLeaf(b, mod, path, x):
    shapes = [v.shape for v in x] if isinstance(x, list) else x.shape
    try:
        if isinstance(x, list):
            for v in x:
                mod.checkDataType(v.dtype)
            mod.checkDataShape([tuple(s) for s in shapes])
        else:
            mod.checkDataType(x.dtype)
            mod.checkDataShape(tuple(shapes))
        outShape = mod.dataShapeFrom(shapes)
    except ConverterError:
        raise
    except Exception as e:
        raise ConverterError("ONNXExporter: %s '%s' cannot take the input of shape %s: %s" % (
            type(mod).__name__, path, shapes, e)) from None
    fn = _handlerFor(mod)
    b.dtype = np.dtype(mod.calctype)  # parameters and constants in the module's own dtype
    out = fn(b, mod, path, x)
    if isinstance(mod, M.Cast):
        dtype = mod.outtype
    elif isinstance(mod, M.Embedder):
        dtype = b.dtype
    else:
        dtype = (x[0] if isinstance(x, list) else x).dtype
    if isinstance(out, list):
        return [Value(name, s, dtype) for name, s in zip(out, outShape)]
    return Value(out, outShape, dtype)
