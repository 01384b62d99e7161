"""The operator-by-operator translation of an ONNX graph into PuzzleLib modules (private; see Importer.py).

Each ONNX node (or a short fixed chain of them, such as MatMul + Add or LSTM + Transpose +
Reshape) becomes one module. Everything is checked while the list of modules is made; the
container is put together only when every node has found its module.
"""
import numpy as np

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Containers.Graph import Graph
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib import Modules as M

INT64_MAX = np.iinfo(np.int64).max


class Refused(Exception):
    """A model the importer cannot build (the message names the node and the reason)."""


class _Entry:
    """One module to be: the module, the tensors it reads and the tensors it writes."""

    def __init__(self, module, ins, outs):
        self.module, self.ins, self.outs = module, list(ins), list(outs)


class _Context:
    def __init__(self, model, onnx, numpyHelper):
        self.onnx = onnx
        graph = model.graph
        for t in graph.initializer:
            _checkLocal(t, onnx, "initializer %r" % t.name)
        self.consts = {t.name: numpyHelper.to_array(t) for t in graph.initializer}
        nodes = []
        for node in graph.node:
            if node.domain not in ("", "ai.onnx"):
                raise Refused("operator %s of domain %s (node %s) is not supported" % (
                    node.op_type, node.domain, _nodeLabel(node)))
            if node.op_type == "Constant":
                self.consts[node.output[0]] = self._constantValue(node, numpyHelper)
            else:
                nodes.append(node)
        self.inputs = [i.name for i in graph.input if i.name not in self.consts]
        self.outputs = [o.name for o in graph.output]
        self.nodes = _topoSort(nodes, set(self.inputs) | set(self.consts))
        self.consumers = {}
        for k, node in enumerate(self.nodes):
            for name in node.input:
                if name:
                    self.consumers.setdefault(name, []).append(k)
        self.shapes, self.types = self._inferShapes(model)
        self.done = set()

    def _constantValue(self, node, numpyHelper):
        for a in node.attribute:
            if a.name == "value":
                _checkLocal(a.t, self.onnx, "Constant node %s" % _nodeLabel(node))
                return numpyHelper.to_array(a.t)
            if a.name == "value_float":
                return np.asarray(a.f, np.float32)
            if a.name == "value_floats":
                return np.asarray(list(a.floats), np.float32)
            if a.name == "value_int":
                return np.asarray(a.i, np.int64)
            if a.name == "value_ints":
                return np.asarray(list(a.ints), np.int64)
        raise Refused("Constant node %s has no value this importer reads" % _nodeLabel(node))

    def _inferShapes(self, model):
        try:
            inferred = self.onnx.shape_inference.infer_shapes(model)
        except Exception as e:
            raise Refused("shape inference fails: %s" % str(e).strip().splitlines()[0]) from None
        shapes, types = {}, {}
        g = inferred.graph
        for info in list(g.input) + list(g.value_info) + list(g.output):
            tt = info.type.tensor_type
            types[info.name] = tt.elem_type
            if tt.HasField("shape"):
                shapes[info.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)
        for name, array in self.consts.items():
            shapes[name] = array.shape
        return shapes, types

    # ---- helpers for the translations ----
    def const(self, name):
        return self.consts.get(name) if name else None

    def needConst(self, node, index, what):
        value = self.const(node.input[index]) if len(node.input) > index else None
        if value is None:
            raise Refused("%s: its %s must be a constant (an initializer)" % (_label(node), what))
        return value

    def rank(self, name, node):
        shape = self.shapes.get(name)
        if shape is None:
            raise Refused("%s: the rank of its input %r is unknown" % (_label(node), name))
        return len(shape)

    def attr(self, node, name, default=None):
        for a in node.attribute:
            if a.name == name:
                return self.onnx.helper.get_attribute_value(a)
        return default

    def soleConsumer(self, name, op=None):
        """The index of the one node that reads ``name`` (None when several do, or it is an output)."""
        users = self.consumers.get(name, [])
        if len(users) != 1 or name in self.outputs:
            return None
        if op is not None and self.nodes[users[0]].op_type != op:
            return None
        return users[0]


def _checkLocal(tensor, onnx, what):
    """Refuse a tensor whose data lives in another file: load reads the one file it is given."""
    if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
        raise Refused("%s keeps its data in an external file; only self-contained models are read" % what)


def _nodeLabel(node):
    return repr(node.name) if node.name else "writing %r" % (node.output[0] if node.output else "")


def _label(node):
    return "%s node %s" % (node.op_type, _nodeLabel(node))


def _topoSort(nodes, available):
    """The nodes ordered so that each comes after the nodes it reads from; refuses cycles and
    tensors nothing produces."""
    producer = {}
    for k, node in enumerate(nodes):
        for name in node.output:
            if name:
                producer[name] = k
    deps = []
    for node in nodes:
        d = set()
        for name in node.input:
            if not name or name in available:
                continue
            if name not in producer:
                raise Refused("%s reads tensor %r, which no node, input or initializer gives" % (_label(node), name))
            d.add(producer[name])
        deps.append(d)
    order, placed = [], set()
    remaining = list(range(len(nodes)))
    while remaining:
        ready = [k for k in remaining if deps[k] <= placed]
        if not ready:
            stuck = nodes[remaining[0]]
            raise Refused("the graph has a cycle (through %s); an ONNX graph must be acyclic" % _label(stuck))
        for k in ready:
            order.append(nodes[k])
            placed.add(k)
        remaining = [k for k in remaining if k not in placed]
    return order


# ---- the translations: each returns an _Entry (and marks the nodes it used as done) ------------------

def _set(mod, name, array):
    """Put ``array`` into ``mod``'s variable ``name``, first moving the module to the array's float
    dtype (the model's dtype for this node) when it computes in another."""
    array = np.asarray(array)
    if array.dtype.kind == "f" and array.dtype != np.dtype(mod.calctype) and gpuarray.isDtypeSupported(array.dtype):
        mod.calcMode(array.dtype)
    var = mod.vars[name]
    var.set(np.ascontiguousarray(array, dtype=var.data.dtype))


def _checkPads(node, pads, nd):
    pads = list(pads) if pads is not None else [0] * (2 * nd)
    if pads[:nd] != pads[nd:]:
        raise Refused("%s: pads %s are not the same at both ends of each axis, as PuzzleLib's pad is" % (_label(node), pads))
    return tuple(pads[:nd])


def _checkAutoPad(ctx, node):
    autoPad = ctx.attr(node, "auto_pad", b"NOTSET")
    autoPad = autoPad.decode() if isinstance(autoPad, bytes) else autoPad
    if autoPad not in ("NOTSET", "VALID"):
        raise Refused("%s: auto_pad %s is not supported (explicit pads are)" % (_label(node), autoPad))


def _gemm(ctx, k, node):
    if ctx.attr(node, "alpha", 1.0) != 1.0 or ctx.attr(node, "beta", 1.0) != 1.0 or ctx.attr(node, "transA", 0):
        raise Refused("%s: only alpha = beta = 1 and transA = 0 map to Linear" % _label(node))
    W = ctx.needConst(node, 1, "weight B")
    if ctx.attr(node, "transB", 0):
        W = W.T
    b = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if b is not None and b.size != W.shape[1]:
        raise Refused("%s: bias C of shape %s does not match %d outputs" % (_label(node), b.shape, W.shape[1]))
    return _linearEntry(node.input[0], W, b, node.output[0])


def _linearEntry(x, W, b, out):
    mod = M.Linear(W.shape[0], W.shape[1], useBias=b is not None, empty=True)
    _set(mod, "W", W)
    if b is not None:
        _set(mod, "b", b.reshape(-1))
    return _Entry(mod, [x], [out])


def _matmul(ctx, k, node):
    W = ctx.const(node.input[1])
    if W is not None and W.ndim == 3:
        return _groupChain(ctx, k, node)
    if W is None or W.ndim != 2 or ctx.const(node.input[0]) is not None:
        raise Refused("%s: only a product of data and a constant 2-d weight maps to Linear" % _label(node))
    if ctx.rank(node.input[0], node) != 2:
        raise Refused("%s: Linear takes 2-d data (batch, features)" % _label(node))
    out, b = node.output[0], None
    nxt = ctx.soleConsumer(out, "Add")
    if nxt is not None:
        add = ctx.nodes[nxt]
        other = add.input[1] if add.input[0] == out else add.input[0]
        bias = ctx.const(other)
        if bias is not None and bias.size == W.shape[1] and bias.shape[-1:] == (W.shape[1],):
            b, out = bias, add.output[0]
            ctx.done.add(nxt)
    return _linearEntry(node.input[0], W, b, out)


def _conv(ctx, k, node, transposed=False):
    _checkAutoPad(ctx, node)
    W = ctx.needConst(node, 1, "weight")
    nd = W.ndim - 2
    if nd not in (1, 2, 3):
        raise Refused("%s: %d-d kernels are not supported (1-3 are)" % (_label(node), nd))
    b = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    groups = ctx.attr(node, "group", 1)
    size = tuple(W.shape[2:])
    stride = tuple(ctx.attr(node, "strides", [1] * nd))
    dilation = tuple(ctx.attr(node, "dilations", [1] * nd))
    pad = _checkPads(node, ctx.attr(node, "pads"), nd)
    if transposed:
        if ctx.attr(node, "output_shape") is not None:
            raise Refused("%s: output_shape is not supported (pads and output_padding are)" % _label(node))
        postpad = tuple(ctx.attr(node, "output_padding", [0] * nd))
        cls = (M.Deconv1D, M.Deconv2D, M.Deconv3D)[nd - 1]
        inmaps, outmaps = W.shape[0], W.shape[1] * groups
        mod = cls(inmaps, outmaps, size, stride, pad, dilation, postpad, useBias=b is not None, empty=True,
                  groups=groups)
    else:
        cls = (M.Conv1D, M.Conv2D, M.Conv3D)[nd - 1]
        inmaps, outmaps = W.shape[1] * groups, W.shape[0]
        mod = cls(inmaps, outmaps, size, stride, pad, dilation, useBias=b is not None, empty=True, groups=groups)
    _set(mod, "W", W.reshape(mod.vars["W"].data.shape))
    if b is not None:
        _set(mod, "b", b.reshape(mod.vars["b"].data.shape))
    return _Entry(mod, [node.input[0]], [node.output[0]])


def _convTranspose(ctx, k, node):
    return _conv(ctx, k, node, transposed=True)


def _windowSize(ctx, node):
    """N when ``node`` is an AveragePool over N x N windows reaching (N - 1) // 2 back and N // 2
    forward with stride 1 (the local mean of SubtractMean, MapLRN and LCN), else None."""
    if node.op_type != "AveragePool" or ctx.attr(node, "ceil_mode", 0):
        return None
    size = list(ctx.attr(node, "kernel_shape", []))
    if len(size) != 2 or size[0] != size[1] or list(ctx.attr(node, "strides", [1, 1])) != [1, 1]:
        return None
    N = size[0]
    lo, hi = (N - 1) // 2, N // 2
    return N if list(ctx.attr(node, "pads", [0] * 4)) == [lo, lo, hi, hi] else None


def _subtractMean(ctx, k, node):
    """AveragePool(x) -> Sub(x, .): SubtractMean."""
    N = _windowSize(ctx, node)
    sub = ctx.soleConsumer(node.output[0], "Sub")
    if N is None or sub is None:
        return None
    s = ctx.nodes[sub]
    if list(s.input) != [node.input[0], node.output[0]]:
        return None
    ctx.done.add(sub)
    return _Entry(M.SubtractMean(size=N, includePad=bool(ctx.attr(node, "count_include_pad", 0))),
                  [node.input[0]], [s.output[0]])


def _mapLRN(ctx, k, node):
    """Mul(x, x) -> AveragePool -> Mul(a) -> Add(K) -> Pow(-beta) -> Mul(x, .): MapLRN."""
    x, chain, cur = node.input[0], [], node
    for op in ("AveragePool", "Mul", "Add", "Pow", "Mul"):
        index = ctx.soleConsumer(cur.output[0], op)
        if index is None:
            return None
        cur = ctx.nodes[index]
        chain.append(index)
    pool, scale, shift, power, final = (ctx.nodes[i] for i in chain)
    N = _windowSize(ctx, pool)
    if N is None or not ctx.attr(pool, "count_include_pad", 0) or sorted(final.input) != sorted([x, power.output[0]]):
        return None
    consts = [_scalarOf(ctx.const(n.input[1])) if n.input[0] == prev.output[0] else None
              for n, prev in ((scale, pool), (shift, scale), (power, shift))]
    if any(c is None for c in consts):
        return None
    a, K, e = consts
    ctx.done.update(chain)
    return _Entry(M.MapLRN(N=N, alpha=a, beta=-e, K=K), [x], [final.output[0]])


def _kmaxPool(ctx, k, node):
    """TopK(x, largest) -> TopK(its values, smallest first): KMaxPool (the k largest, ascending)."""
    x, axis = node.input[0], ctx.attr(node, "axis", -1)
    kk = ctx.const(node.input[1])
    second = ctx.soleConsumer(node.output[0], "TopK")
    unused = all(not (name in ctx.consumers or name in ctx.outputs) for name in node.output[1:])
    if kk is not None and kk.size == 1 and second is not None and ctx.attr(node, "largest", 1) and unused:
        t2 = ctx.nodes[second]
        k2 = ctx.const(t2.input[1])
        if k2 is not None and k2.size == 1 and int(k2.reshape(-1)[0]) == int(kk.reshape(-1)[0]) and \
                not ctx.attr(t2, "largest", 1) and ctx.attr(t2, "sorted", 1) and ctx.attr(t2, "axis", -1) == axis \
                and not any(name in ctx.consumers or name in ctx.outputs for name in t2.output[1:]):
            ctx.done.add(second)
            return _Entry(M.KMaxPool(topk=int(kk.reshape(-1)[0]), axis=axis), [x], [t2.output[0]])
    raise Refused("%s: TopK is supported only as k-max pooling (the k largest values, then the same TopK "
                  "smallest first)" % _label(node))


def _spatialTf(ctx, k, node):
    """Transpose(theta) -> MatMul(base grid, .) -> Reshape -> GridSample(x, .): SpatialTf."""
    chain, cur = [], node
    for op in ("MatMul", "Reshape", "GridSample"):
        index = ctx.soleConsumer(cur.output[0], op)
        if index is None:
            return None
        cur = ctx.nodes[index]
        chain.append(index)
    mm, reshape, sample = (ctx.nodes[i] for i in chain)
    base, shape = ctx.const(mm.input[0]), ctx.const(reshape.input[1])
    if base is None or shape is None or len(shape) != 4 or sample.input[1] != reshape.output[0] or \
            not ctx.attr(sample, "align_corners", 0) or ctx.attr(sample, "mode", b"bilinear") not in (b"bilinear", "bilinear") \
            or ctx.attr(sample, "padding_mode", b"zeros") not in (b"zeros", "zeros"):
        return None
    outH, outW = int(shape[1]), int(shape[2])
    gx, gy = np.meshgrid(np.linspace(-1, 1, outW), np.linspace(-1, 1, outH))
    expected = np.stack([gx.ravel(), gy.ravel(), np.ones(outH * outW)], axis=1)
    if base.shape != expected.shape or not np.allclose(base, expected, atol=1e-6):
        return None
    xshape = ctx.shapes.get(sample.input[0])
    same = xshape is not None and tuple(xshape[2:]) == (outH, outW)
    ctx.done.update(chain)
    return _Entry(M.SpatialTf(shape=None if same else (outH, outW)), [sample.input[0], node.input[0]],
                  [sample.output[0]])


def _prefuseGelu(ctx):
    """Find 0.5 * x * (1 + Erf(x / sqrt(2))) around each Erf (the exporter's order, and PyTorch's
    x * (1 + erf) * 0.5): {index of the chain's first node: a Gelu entry}; the chain's nodes are done."""
    found = {}
    for k, erf in enumerate(ctx.nodes):
        if erf.op_type != "Erf":
            continue
        producers = [i for i, n in enumerate(ctx.nodes) if erf.input[0] in n.output]
        if len(producers) != 1 or ctx.soleConsumer(erf.input[0]) != k:
            continue
        scale = ctx.nodes[producers[0]]
        c = _scalarOf(ctx.const(scale.input[1])) if len(scale.input) == 2 else None
        if c is None or not ((scale.op_type == "Mul" and abs(c - 0.5 ** 0.5) < 1e-6) or
                             (scale.op_type == "Div" and abs(c - 2 ** 0.5) < 1e-6)):
            continue
        x = scale.input[0]
        add = ctx.soleConsumer(erf.output[0], "Add")
        if add is None or _scalarOf(ctx.const(_other(ctx.nodes[add], erf.output[0]))) != 1.0:
            continue
        chain = [producers[0], k, add]
        onePlus = ctx.nodes[add].output[0]
        mul = ctx.soleConsumer(onePlus, "Mul")
        if mul is None:
            continue
        other = _other(ctx.nodes[mul], onePlus)
        out = None
        if other == x:  # PyTorch: (x * (1 + erf)) * 0.5
            half = ctx.soleConsumer(ctx.nodes[mul].output[0], "Mul")
            if half is not None and _scalarOf(ctx.const(_other(ctx.nodes[half], ctx.nodes[mul].output[0]))) == 0.5:
                chain += [mul, half]
                out = ctx.nodes[half].output[0]
        else:  # the exporter: (x * 0.5) * (1 + erf)
            hx = [i for i, n in enumerate(ctx.nodes) if other in n.output]
            if hx and ctx.nodes[hx[0]].op_type == "Mul" and ctx.soleConsumer(other) == mul and \
                    ctx.nodes[hx[0]].input[0] == x and _scalarOf(ctx.const(ctx.nodes[hx[0]].input[1])) == 0.5:
                chain += [hx[0], mul]
                out = ctx.nodes[mul].output[0]
        if out is None:
            continue
        ctx.done.update(chain)
        found[min(chain)] = _Entry(M.Gelu(), [x], [out])
    return found


def _prefuseLCN(ctx):
    """Find the chain LCN exports to, x * (K + alpha * (A(x*x) - 2 m A(x) + A(1) m*m)) ** -beta with
    A the zero-padded window mean and m the local mean, from each Pow back: {first index: an LCN entry}."""
    producer = {}
    for i, n in enumerate(ctx.nodes):
        for name in n.output:
            producer[name] = i
    found = {}
    for k, power in enumerate(ctx.nodes):
        if power.op_type != "Pow" or k in ctx.done:
            continue
        chain = [k]

        def node(name, op):
            i = producer.get(name)
            if i is None or ctx.nodes[i].op_type != op:
                raise LookupError
            chain.append(i)
            return ctx.nodes[i]

        def constOf(n):
            value = _scalarOf(ctx.const(n.input[1]))
            if value is None:
                raise LookupError
            return value, n.input[0]

        try:
            negBeta, baseName = constOf(power)
            K, scaledName = constOf(node(baseName, "Add"))
            alpha, spreadName = constOf(node(scaledName, "Mul"))
            spread = node(spreadName, "Add")
            sqless, cm2 = node(spread.input[0], "Sub"), node(spread.input[1], "Mul")
            sumSq, cross = node(sqless.input[0], "AveragePool"), node(sqless.input[1], "Mul")
            sq = node(sumSq.input[0], "Mul")
            x = sq.input[0]
            two, msumName = constOf(cross)
            msum = node(msumName, "Mul")
            mean, sumX = node(msum.input[0], "AveragePool"), node(msum.input[1], "AveragePool")
            inside, m2 = node(cm2.input[0], "AveragePool"), node(cm2.input[1], "Mul")
            ones = node(inside.input[0], "Add")
            one, zeroName = constOf(ones)
            zeroValue, zx = constOf(node(zeroName, "Mul"))
        except LookupError:
            continue
        N = _windowSize(ctx, mean)
        finals = [i for i in ctx.consumers.get(power.output[0], [])]
        if len(finals) != 1 or ctx.nodes[finals[0]].op_type != "Mul" or \
                sorted(ctx.nodes[finals[0]].input) != sorted([x, power.output[0]]):
            continue
        final = ctx.nodes[finals[0]]
        chain.append(finals[0])
        windows = [_windowSize(ctx, n) for n in (sumSq, sumX, inside)]
        if N is None or windows != [N] * 3 or not all(ctx.attr(n, "count_include_pad", 0) for n in (sumSq, sumX, inside)) \
                or sq.input[1] != x or mean.input[0] != x or sumX.input[0] != x or zx != x or zeroValue != 0.0 \
                or one != 1.0 or two != 2.0 or list(m2.input) != [mean.output[0]] * 2:
            continue
        inner = set(chain)
        outputs = [name for i in inner if i != finals[0] for name in ctx.nodes[i].output]
        if any(name in ctx.outputs or not set(ctx.consumers.get(name, [])) <= inner for name in outputs):
            continue
        ctx.done.update(inner)
        found[min(inner)] = _Entry(M.LCN(N=N, alpha=alpha, beta=-negBeta, K=K,
                                         includePad=bool(ctx.attr(mean, "count_include_pad", 0))),
                                   [x], [final.output[0]])
    return found


def _other(node, name):
    """The other input of a two-input node, one of whose inputs is ``name``."""
    return node.input[1] if node.input[0] == name else node.input[0]


def _evenLRN(ctx, k, node):
    """Mul(x, x) -> Unsqueeze(1) -> AveragePool over (C, 1...) -> Squeeze(1) -> Mul(alpha) -> Add(K) ->
    Pow(-beta) -> Mul(x, .): a CrossMapLRN with an even window (ONNX Runtime's LRN takes odd ones only)."""
    x, chain, cur = node.input[0], [], node
    for step, op in enumerate(("Unsqueeze", "AveragePool", "Squeeze", "Mul", "Add", "Pow", "Mul")):
        index = ctx.soleConsumer(cur.output[0], op)
        if index is None or (step < 6 and ctx.nodes[index].input[0] != cur.output[0]):
            return None
        cur = ctx.nodes[index]
        chain.append(index)
    lift, pool, squeeze, scale, shift, power, final = (ctx.nodes[i] for i in chain)
    axes = [ctx.const(n.input[1]) for n in (lift, squeeze)]
    size = list(ctx.attr(pool, "kernel_shape", []))
    if any(a is None or list(a.reshape(-1)) != [1] for a in axes) or not size or any(d != 1 for d in size[1:]) or \
            not ctx.attr(pool, "count_include_pad", 0) or ctx.attr(pool, "ceil_mode", 0):
        return None
    N, spatial = size[0], len(size) - 1
    lo, hi = (N - 1) // 2, N // 2
    if list(ctx.attr(pool, "pads", [])) != [lo] + [0] * spatial + [hi] + [0] * spatial or \
            any(s != 1 for s in ctx.attr(pool, "strides", [1] * len(size))) or sorted(final.input) != sorted([x, power.output[0]]):
        return None
    consts = [_scalarOf(ctx.const(n.input[1])) for n in (scale, shift, power)]
    if any(c is None for c in consts):
        return None
    alpha, K, e = consts
    ctx.done.update(chain)
    return _Entry(M.CrossMapLRN(N=N, alpha=alpha, beta=-e, K=K), [x], [final.output[0]])


def _maxUnpool(ctx, k, node):
    """MaxUnpool(x, the Indices of a MaxPool, Shape of that pool's input): MaxUnpool2D of that pool."""
    found = ctx.pools.get(node.input[1])
    if found is None or len(node.input) < 3 or node.input[2] not in ctx.shapeOf:
        raise Refused("%s: only the Indices of a 2-d MaxPool with the Shape of its input are supported" % _label(node))
    pool, poolNode = found
    if ctx.shapeOf[node.input[2]] != poolNode.input[0] or \
            [ctx.attr(node, a) for a in ("kernel_shape", "strides", "pads")] != \
            [ctx.attr(poolNode, a) for a in ("kernel_shape", "strides", "pads")]:
        raise Refused("%s: its geometry or output shape is not that of the MaxPool it unpools" % _label(node))
    return _Entry(M.MaxUnpool2D(pool), [node.input[0]], [node.output[0]])


def _prefuseShapes(ctx):
    """Shape nodes read only as MaxUnpool's output_shape: {their output: the tensor measured}; done."""
    shapes = {}
    for k, node in enumerate(ctx.nodes):
        if node.op_type == "Shape" and not ctx.attr(node, "start") and ctx.attr(node, "end") is None:
            users = ctx.consumers.get(node.output[0], [])
            if users and node.output[0] not in ctx.outputs and all(
                    ctx.nodes[i].op_type == "MaxUnpool" and list(ctx.nodes[i].input[2:3]) == [node.output[0]]
                    for i in users):
                shapes[node.output[0]] = node.input[0]
                ctx.done.add(k)
    return shapes


def _onlyInPattern(ctx, k, node):
    raise Refused("%s: %s is supported only inside the chains that Gelu, SubtractMean, MapLRN, SpatialTf and a "
                  "sliced Activation export to" % (
        _label(node), node.op_type))


def _pool(ctx, k, node):
    fused = _subtractMean(ctx, k, node)
    if fused is not None:
        return fused
    _checkAutoPad(ctx, node)
    size = tuple(ctx.attr(node, "kernel_shape"))
    nd = len(size)
    if nd not in (1, 2, 3):
        raise Refused("%s: %d-d pooling is not supported (1-3 are)" % (_label(node), nd))
    if ctx.attr(node, "ceil_mode", 0):
        raise Refused("%s: ceil_mode=1 is not supported (PuzzleLib pools in floor mode)" % _label(node))
    if any(d != 1 for d in ctx.attr(node, "dilations", [1] * nd)):
        raise Refused("%s: dilated pooling is not supported" % _label(node))
    withMask = len(node.output) > 1 and node.output[1] and node.output[1] in ctx.consumers
    if withMask and (nd != 2 or node.op_type != "MaxPool" or node.output[1] in ctx.outputs or
                     any(ctx.nodes[i].op_type != "MaxUnpool" for i in ctx.consumers[node.output[1]])):
        raise Refused("%s: its Indices output is supported only for 2-d MaxPool feeding MaxUnpool" % _label(node))
    stride = tuple(ctx.attr(node, "strides", [1] * nd))
    pad = _checkPads(node, ctx.attr(node, "pads"), nd)
    if node.op_type == "MaxPool":
        mod = (M.MaxPool1D, M.MaxPool2D, M.MaxPool3D)[nd - 1](size, stride, pad)
        if withMask:
            mod.useMask = True
            ctx.pools[node.output[1]] = (mod, node)
    else:
        mod = (M.AvgPool1D, M.AvgPool2D, M.AvgPool3D)[nd - 1](size, stride, pad,
                                                              includePad=bool(ctx.attr(node, "count_include_pad", 0)))
    return _Entry(mod, [node.input[0]], [node.output[0]])


def _globalAvgPool(ctx, k, node):
    shape = ctx.shapes.get(node.input[0])
    if shape is None or len(shape) not in (3, 4, 5) or any(d is None for d in shape[2:]):
        raise Refused("%s: needs an input of known spatial size (1-3 spatial axes)" % _label(node))
    size = tuple(shape[2:])
    mod = (M.AvgPool1D, M.AvgPool2D, M.AvgPool3D)[len(size) - 1](size, size, 0)
    return _Entry(mod, [node.input[0]], [node.output[0]])


def _batchNorm(ctx, k, node):
    if ctx.attr(node, "training_mode", 0) or (len(node.output) > 1 and any(node.output[1:])):
        raise Refused("%s: training mode is not supported (inference BatchNormalization is)" % _label(node))
    scale, bias, mean, var = (ctx.needConst(node, i, what) for i, what in
                              ((1, "scale"), (2, "bias"), (3, "mean"), (4, "var")))
    rank = ctx.rank(node.input[0], node)
    if rank not in (2, 3, 4, 5):
        raise Refused("%s: %d-d data is not supported (2-5 are)" % (_label(node), rank))
    cls = (M.BatchNorm, M.BatchNorm1D, M.BatchNorm2D, M.BatchNorm3D)[rank - 2]
    mod = cls(scale.size, epsilon=float(ctx.attr(node, "epsilon", 1e-5)), empty=True)
    shape = mod.vars["scale"].data.shape
    _set(mod, "scale", scale.reshape(shape))
    _set(mod, "bias", bias.reshape(shape))
    dtype = mod.attrs["mean"].dtype
    mod.setAttr("mean", gpuarray.to_gpu(np.ascontiguousarray(mean.reshape(shape), dtype=dtype)))
    mod.setAttr("var", gpuarray.to_gpu(np.ascontiguousarray(var.reshape(shape), dtype=dtype)))
    return _Entry(mod, [node.input[0]], [node.output[0]])


def _instanceNorm(ctx, k, node):
    if ctx.rank(node.input[0], node) != 4:
        raise Refused("%s: only 4-d data (InstanceNorm2D) is supported" % _label(node))
    scale, bias = ctx.needConst(node, 1, "scale"), ctx.needConst(node, 2, "bias")
    mod = M.InstanceNorm2D(scale.size, epsilon=float(ctx.attr(node, "epsilon", 1e-5)))
    shape = mod.vars["scale"].data.shape
    _set(mod, "scale", scale.reshape(shape))
    _set(mod, "bias", bias.reshape(shape))
    return _Entry(mod, [node.input[0]], [node.output[0]])


_ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softPlus"}


def _activation(ctx, k, node):
    op = node.op_type
    if op in _ACTIVATIONS:
        mod = M.Activation(_ACTIVATIONS[op])
    elif op == "LeakyRelu":
        mod = M.Activation("leakyRelu", args=(float(ctx.attr(node, "alpha", 0.01)),))
    elif op == "Elu":
        mod = M.Activation("elu", args=(float(ctx.attr(node, "alpha", 1.0)),))
    else:  # Clip
        low = ctx.needConst(node, 1, "min") if len(node.input) > 1 and node.input[1] else None
        high = ctx.needConst(node, 2, "max") if len(node.input) > 2 and node.input[2] else None
        if low is None or high is None:
            raise Refused("%s: Clip needs both min and max (an open range has no PuzzleLib activation)" % _label(node))
        if low.size != 1 or high.size != 1:
            raise Refused("%s: Clip's min and max must be single numbers" % _label(node))
        mod = M.Activation("clip", args=(_scalarOf(low), _scalarOf(high)))
    out = node.output[0]
    where = ctx.soleConsumer(out, "Where")
    if where is not None:  # Where(mask, act(x), x): the activation over a slice
        w = ctx.nodes[where]
        mask = ctx.const(w.input[0])
        if mask is not None and list(w.input[1:]) == [out, node.input[0]]:
            slc = _boxOf(mask)
            if slc is None:
                raise Refused("%s: its mask is not one box of the sample, which an Activation's slc would be" %
                              _label(w))
            ctx.done.add(where)
            mod = M.Activation(mod.activation, slc=(slice(None),) + slc, args=mod.actArgs)
            out = w.output[0]
    return _Entry(mod, [node.input[0]], [out])


def _boxOf(mask):
    """The slices (step 1) of the one box of True values in ``mask``, or None."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return None
    where = np.nonzero(mask)
    slc = tuple(slice(int(w.min()), int(w.max()) + 1) for w in where)
    box = np.zeros_like(mask)
    box[slc] = True
    return slc if np.array_equal(box, mask) else None


def _prelu(ctx, k, node):
    slopes = ctx.needConst(node, 1, "slope")
    rank = ctx.rank(node.input[0], node)
    shape = ctx.shapes.get(node.input[0])
    if slopes.size == 1 and shape is not None and rank >= 2 and shape[1] is not None:
        mod = M.PRelu(shape[1], sharedMaps=True)
    elif rank >= 2 and slopes.shape == (slopes.size,) + (1,) * (rank - 2):
        mod = M.PRelu(slopes.size)
    else:
        raise Refused("%s: slopes of shape %s are not one per channel (axis 1) nor one in all" % (
            _label(node), slopes.shape))
    _set(mod, "slopes", slopes.reshape(-1))
    return _Entry(mod, [node.input[0]], [node.output[0]])


def _softmax(ctx, k, node):
    axis = ctx.attr(node, "axis", -1)
    rank = ctx.rank(node.input[0], node)
    if axis % rank != 1:
        raise Refused("%s: softmax over axis %d of %d-d data; PuzzleLib's SoftMax works over axis 1" % (
            _label(node), axis, rank))
    return _Entry(M.SoftMax(), [node.input[0]], [node.output[0]])


def _flatten(ctx, k, node):
    if ctx.attr(node, "axis", 1) != 1:
        raise Refused("%s: only axis 1 (keep the batch axis) is supported" % _label(node))
    return _Entry(M.Flatten(), [node.input[0]], [node.output[0]])


def _reshape(ctx, k, node):
    if ctx.attr(node, "allowzero", 0):
        raise Refused("%s: allowzero=1 is not supported" % _label(node))
    shape = ctx.needConst(node, 1, "shape")
    return _Entry(M.Reshape(tuple(int(d) for d in shape), showWarnings=False), [node.input[0]], [node.output[0]])


def _transpose(ctx, k, node):
    perm = ctx.attr(node, "perm")
    if perm is not None and list(perm) == [1, 0, 2]:
        entry = _groupChain(ctx, k, node, optional=True)
        if entry is not None:
            return entry
    if perm is not None and list(perm) == [0, 2, 1]:
        entry = _spatialTf(ctx, k, node)
        if entry is not None:
            return entry
    if perm is None:
        perm = list(range(ctx.rank(node.input[0], node)))[::-1]
    return _Entry(M.Transpose(tuple(perm)), [node.input[0]], [node.output[0]])


def _identity(ctx, k, node):
    if node.op_type == "Dropout":
        if len(node.output) > 1 and node.output[1]:
            raise Refused("%s: the mask output is not supported" % _label(node))
        if len(node.input) > 2 and node.input[2]:
            mode = ctx.const(node.input[2])
            if mode is None or bool(mode):
                raise Refused("%s: training-mode Dropout is not supported" % _label(node))
    return _Entry(M.Identity(), [node.input[0]], [node.output[0]])


def _scalarOf(value):
    return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None


def _elementwise(ctx, k, node):
    op = node.op_type
    consts = [ctx.const(name) for name in node.input]
    if op == "Add" and len(node.input) == 2 and consts[1] is not None and consts[1].ndim == 3 and \
            consts[1].shape[1] == 1 and consts[0] is None:
        return _groupChain(ctx, k, node)
    if op in ("Add", "Mul") and len(node.input) == 2 and sum(c is not None for c in consts) == 1:
        x = node.input[1] if consts[0] is not None else node.input[0]
        c = _scalarOf(consts[0] if consts[0] is not None else consts[1])
        if c is None:
            raise Refused("%s: a constant operand of shape %s; only one number (MulAddConst) is supported" % (
                _label(node), (consts[0] if consts[0] is not None else consts[1]).shape))
        if op == "Add":
            return _Entry(M.MulAddConst(1.0, c), [x], [node.output[0]])
        out, b = node.output[0], 0.0
        nxt = ctx.soleConsumer(out, "Add")
        if nxt is not None:
            add = ctx.nodes[nxt]
            other = add.input[1] if add.input[0] == out else add.input[0]
            bias = _scalarOf(ctx.const(other))
            if bias is not None:
                b, out = bias, add.output[0]
                ctx.done.add(nxt)
        return _Entry(M.MulAddConst(c, b), [x], [out])
    if any(c is not None for c in consts):
        raise Refused("%s: constant operands are only supported as one number in Add or Mul" % _label(node))
    shapes = [ctx.shapes.get(name) for name in node.input]
    if any(s is None or s != shapes[0] for s in shapes):
        raise Refused("%s: operands of different or unknown shapes %s (PuzzleLib's %s does not broadcast)" % (
            _label(node), shapes, "Mul" if op == "Mul" else "Add"))
    if op == "Mul":
        if len(node.input) == 2 and node.input[0] == node.input[1]:
            fused = _mapLRN(ctx, k, node) or _evenLRN(ctx, k, node)
            if fused is not None:
                return fused
        return _Entry(M.Mul(), node.input, [node.output[0]])
    return _Entry(M.Add(), node.input, [node.output[0]])


def _unsqueezeWeights(ctx, k, node):
    """Unsqueeze(w) -> Mul(x, .) -> ReduceSum: Sum(axis, useWeights=True) over [x, w]; or the start of
    a GroupLinear with one input for every group."""
    entry = _groupChain(ctx, k, node, optional=True)
    if entry is not None:
        return entry
    mulIndex = ctx.soleConsumer(node.output[0], "Mul")
    if mulIndex is not None:
        mul = ctx.nodes[mulIndex]
        redIndex = ctx.soleConsumer(mul.output[0], "ReduceSum")
        x = mul.input[1] if mul.input[0] == node.output[0] else mul.input[0]
        if redIndex is not None and ctx.const(x) is None:
            red = ctx.nodes[redIndex]
            axes = ctx.const(red.input[1]) if len(red.input) > 1 else None
            if axes is not None and axes.size == 1 and not ctx.attr(red, "keepdims", 1):
                ctx.done.update((mulIndex, redIndex))
                axis = int(axes.reshape(-1)[0]) % ctx.rank(x, red)
                return _Entry(M.Sum(axis=axis, useWeights=True), [x, node.input[0]], [red.output[0]])
    raise Refused("%s: Unsqueeze is supported only as the weights of a weighted sum (Sum) or the input of a "
                  "GroupLinear" % _label(node))


def _groupChain(ctx, k, node, optional=False):
    """[Unsqueeze(0) | Transpose(1, 0, 2)] -> [MatMul(W (g, in, out))] -> [Add(b (g, 1, out))] ->
    [Tile(G, 1, 1)] -> [Transpose(1, 0, 2) | Identity]: one GroupLinear (as the exporter writes it)."""
    used, x = [k], node.input[0]
    inmode, front, cur, W, b, tiled = "full", False, node, None, None, 1

    def follow(name, op):
        index = ctx.soleConsumer(name, op)
        if index is None:
            return None
        n = ctx.nodes[index]
        return (index, n) if n.input[0] == name else None

    if node.op_type == "Unsqueeze":
        axes = ctx.const(node.input[1]) if len(node.input) > 1 else None
        if axes is None or list(axes.reshape(-1)) != [0] or ctx.rank(x, node) != 2:
            return None
        inmode = "one"
    elif node.op_type == "Transpose":
        front = True
    nxt = (k, node) if node.op_type in ("MatMul", "Add") else follow(node.output[0], "MatMul") or \
        follow(node.output[0], "Add")
    if nxt is not None and nxt[1].op_type == "MatMul":
        Wc = ctx.const(nxt[1].input[1])
        if Wc is not None and Wc.ndim == 3:
            W, cur = Wc, nxt[1]
            if nxt[0] != k:
                used.append(nxt[0])
            nxt = follow(cur.output[0], "Add")
    if nxt is not None and nxt[1].op_type == "Add":
        bc = ctx.const(nxt[1].input[1])
        if bc is not None and bc.ndim == 3 and bc.shape[1] == 1:
            b, cur = bc, nxt[1]
            if nxt[0] != k:
                used.append(nxt[0])
    if W is None and b is None:
        if optional:
            return None
        raise Refused("%s: not the product or bias of a GroupLinear" % _label(node))
    nxt = follow(cur.output[0], "Tile")
    if nxt is not None:
        reps = ctx.const(nxt[1].input[1])
        if reps is not None and len(reps) == 3 and list(reps[1:]) == [1, 1]:
            tiled, cur = int(reps[0]), nxt[1]
            used.append(nxt[0])
    batchDim = 1
    nxt = follow(cur.output[0], "Transpose")
    if nxt is not None and list(ctx.attr(nxt[1], "perm", [])) == [1, 0, 2]:
        batchDim, cur = 0, nxt[1]
        used.append(nxt[0])
    else:
        nxt = follow(cur.output[0], "Identity")
        if nxt is not None:
            cur = nxt[1]
            used.append(nxt[0])
    if front and batchDim != 0:
        if optional:
            return None
        raise Refused("%s: a GroupLinear chain must end in Transpose(1, 0, 2) when it starts with one" % _label(node))
    wgroups = (W if W is not None else b).shape[0]
    if inmode == "full":
        shape = ctx.shapes.get(x)
        groups = shape[1 if front else 0] if shape is not None else None
        if groups == 1 and max(wgroups, tiled) > 1:  # one input for every group, given as (N, 1, in)
            inmode, groups = "one", max(wgroups, tiled)
    else:
        groups = max(wgroups, tiled)
    if groups is None:
        raise Refused("%s: the number of groups of a GroupLinear is unknown" % _label(node))
    insize = W.shape[1] if W is not None else b.shape[2]
    outsize = W.shape[2] if W is not None else b.shape[2]
    mod = M.GroupLinear(groups, insize, outsize, useW=W is not None, useBias=b is not None, inmode=inmode,
                        wmode="one" if wgroups == 1 and groups > 1 else "full", batchDim=batchDim, empty=True)
    if W is not None:
        _set(mod, "W", W)
    if b is not None:
        _set(mod, "b", b.reshape(b.shape[0], b.shape[2]))
    ctx.done.update(used)
    return _Entry(mod, [x], [cur.output[0]])


def _reduceSum(ctx, k, node):
    axes = ctx.const(node.input[1]) if len(node.input) > 1 and node.input[1] else None
    if axes is None or axes.size != 1 or ctx.attr(node, "keepdims", 1):
        raise Refused("%s: only a sum over one constant axis with keepdims=0 is supported" % _label(node))
    axis = int(axes.reshape(-1)[0]) % ctx.rank(node.input[0], node)
    return _Entry(M.Sum(axis=axis, useWeights=False), [node.input[0]], [node.output[0]])


def _concat(ctx, k, node):
    return _Entry(M.Concat(axis=int(ctx.attr(node, "axis"))), node.input, [node.output[0]])


def _split(ctx, k, node):
    axis = int(ctx.attr(node, "axis", 0))
    sizes = ctx.const(node.input[1]) if len(node.input) > 1 and node.input[1] else None
    if sizes is None:
        shape = ctx.shapes.get(node.input[0])
        if shape is None or shape[axis] is None:
            raise Refused("%s: without split sizes the axis size must be known" % _label(node))
        sections = len(node.output)
    else:
        sections = tuple(int(s) for s in sizes)
    return _Entry(M.Split(axis=axis, sections=sections), [node.input[0]], list(node.output))


def _pad(ctx, k, node):
    mode = ctx.attr(node, "mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    pads = [int(p) for p in ctx.needConst(node, 1, "pads")]
    if len(node.input) > 3 and node.input[3]:
        raise Refused("%s: the axes input is not supported" % _label(node))
    rank = len(pads) // 2
    if rank not in (3, 4) or any(pads[:2]) or any(pads[rank:rank + 2]) or any(p < 0 for p in pads):
        raise Refused("%s: only non-negative padding of the last 1 or 2 axes of 3-d or 4-d data is supported" % _label(node))
    if mode not in ("constant", "reflect"):
        raise Refused("%s: mode %s is not supported (constant and reflect are)" % (_label(node), mode))
    value = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    fill = _scalarOf(value) if mode == "constant" and value is not None else None
    spatial = rank - 2
    pairs = []
    for i in range(spatial):
        pairs += [pads[2 + i], pads[rank + 2 + i]]
    cls = M.Pad1D if spatial == 1 else M.Pad2D
    return _Entry(cls(tuple(pairs), mode=mode, fillValue=fill), [node.input[0]], [node.output[0]])


def _resize(ctx, k, node):
    mode = ctx.attr(node, "mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    coord = ctx.attr(node, "coordinate_transformation_mode", b"half_pixel")
    coord = coord.decode() if isinstance(coord, bytes) else coord
    scales = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if scales is None or scales.size == 0:
        sizes = ctx.const(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        inshape = ctx.shapes.get(node.input[0])
        if sizes is None or inshape is None or any(d is None for d in inshape[2:]):
            raise Refused("%s: needs constant scales (or sizes and a known input shape)" % _label(node))
        scales = np.asarray([s / d for s, d in zip(sizes, (1, 1) + tuple(inshape[2:]))])
    scales = [float(s) for s in scales]
    spatial = scales[2:]
    if scales[:2] != [1.0, 1.0] or len(spatial) not in (2, 3) or len(set(spatial)) != 1 or \
            spatial[0] != int(spatial[0]) or spatial[0] < 1:
        raise Refused("%s: only the same integer scale on each of 2 or 3 spatial axes is supported, got %s" % (
            _label(node), scales))
    if mode == "nearest":
        nearest = ctx.attr(node, "nearest_mode", b"round_prefer_floor")
        nearest = nearest.decode() if isinstance(nearest, bytes) else nearest
        if coord != "asymmetric" or nearest != "floor":
            raise Refused("%s: nearest resize with %s/%s is not supported (asymmetric/floor is)" % (
                _label(node), coord, nearest))
        pmode = "nearest"
    elif mode == "linear" and coord in ("half_pixel", "pytorch_half_pixel"):
        pmode = "linear"
    else:
        raise Refused("%s: resize mode %s with %s is not supported" % (_label(node), mode, coord))
    cls = M.Upsample2D if len(spatial) == 2 else M.Upsample3D
    return _Entry(cls(int(spatial[0]), mode=pmode), [node.input[0]], [node.output[0]])


def _lrn(ctx, k, node):
    size = int(ctx.attr(node, "size"))
    return _Entry(M.CrossMapLRN(N=size, alpha=float(ctx.attr(node, "alpha", 1e-4)),
                                beta=float(ctx.attr(node, "beta", 0.75)), K=float(ctx.attr(node, "bias", 1.0))),
                  [node.input[0]], [node.output[0]])


def _max(ctx, k, node):
    """Max(idx, -1) -> Gather(table, .): an Embedder whose table's last row (zeros) takes padding."""
    floor = ctx.const(node.input[1]) if len(node.input) == 2 else None
    gather = ctx.soleConsumer(node.output[0], "Gather")
    if floor is not None and floor.size == 1 and int(floor.reshape(-1)[0]) == -1 and gather is not None:
        g = ctx.nodes[gather]
        table = ctx.const(g.input[0])
        if g.input[1] == node.output[0] and table is not None and table.ndim == 2 and not np.any(table[-1]):
            ctx.done.add(gather)
            return _embedder(ctx, node.input[0], table[:-1], g.output[0], node)
    raise Refused("%s: Max is supported only as the padding guard of an embedding (Max(indices, -1) -> Gather)" %
                  _label(node))


def _gather(ctx, k, node):
    table = ctx.const(node.input[0])
    if table is None or table.ndim != 2 or ctx.attr(node, "axis", 0) != 0:
        raise Refused("%s: only a lookup in a constant 2-d table along axis 0 (an embedding) is supported" % _label(node))
    return _embedder(ctx, node.input[1], table, node.output[0], node)


def _embedder(ctx, idx, table, out, node):
    shape = ctx.shapes.get(idx)
    if shape is None or len(shape) != 2 or shape[1] is None:
        raise Refused("%s: the indices must be (batch, sentence length) with a known length" % _label(node))
    mod = M.Embedder(table.shape[0], shape[1], table.shape[1])
    _set(mod, "W", table)
    return _Entry(mod, [idx], [out])


def _slice(ctx, k, node):
    starts, ends = ctx.needConst(node, 1, "starts"), ctx.needConst(node, 2, "ends")
    rank = ctx.rank(node.input[0], node)
    axes = ctx.const(node.input[3]) if len(node.input) > 3 and node.input[3] else np.arange(len(starts))
    steps = ctx.const(node.input[4]) if len(node.input) > 4 and node.input[4] else np.ones(len(starts), np.int64)
    slc = [slice(None)] * rank
    for s, e, a, st in zip(starts, ends, axes, steps):
        if st <= 0:
            raise Refused("%s: only positive steps are supported" % _label(node))
        slc[int(a) % rank] = slice(int(s), None if e >= INT64_MAX // 2 else int(e), int(st))
    while len(slc) > 1 and slc[-1] == slice(None):
        slc.pop()
    return _Entry(M.Slice(tuple(slc)), [node.input[0]], [node.output[0]])


def _tile(ctx, k, node):
    repeats = [int(r) for r in ctx.needConst(node, 1, "repeats")]
    moved = [i for i, r in enumerate(repeats) if r != 1]
    if len(moved) > 1:
        raise Refused("%s: tiling along several axes %s is not supported (one axis is)" % (_label(node), repeats))
    if not moved:
        return _Entry(M.Identity(), [node.input[0]], [node.output[0]])
    return _Entry(M.Tile(axis=moved[0], times=repeats[moved[0]]), [node.input[0]], [node.output[0]])


def _cast(ctx, k, node):
    helper = ctx.onnx.helper
    intype = ctx.types.get(node.input[0])
    if not intype:
        raise Refused("%s: the input's type is unknown" % _label(node))
    return _Entry(M.Cast(helper.tensor_dtype_to_np_dtype(intype), helper.tensor_dtype_to_np_dtype(ctx.attr(node, "to"))),
                  [node.input[0]], [node.output[0]])


_OUR_GATES = {"LSTM": (0, 2, 3, 1), "GRU": (1, 0, 2), "RNN": (0,)}  # our gate g is ONNX's gate order[g]


def _recurrent(ctx, k, node):
    op = node.op_type
    for name in ("clip", "input_forget"):
        if ctx.attr(node, name):
            raise Refused("%s: attribute %s is not supported" % (_label(node), name))
    if ctx.attr(node, "layout", 0):
        raise Refused("%s: layout=1 (batch first) is not supported" % _label(node))
    if any(len(node.input) > i and node.input[i] for i in range(4, 8)):
        raise Refused("%s: sequence lengths, initial states and peepholes are not supported" % _label(node))
    direction = ctx.attr(node, "direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    if direction not in ("forward", "bidirectional"):
        raise Refused("%s: direction %s is not supported" % (_label(node), direction))
    dirs = 2 if direction == "bidirectional" else 1
    H = int(ctx.attr(node, "hidden_size"))
    if op == "RNN":
        acts = [a.decode() if isinstance(a, bytes) else a for a in ctx.attr(node, "activations", [b"Tanh"] * dirs)]
        if len(set(acts)) != 1 or acts[0] not in ("Relu", "Tanh"):
            raise Refused("%s: activations %s are not supported (Relu or Tanh in both directions)" % (_label(node), acts))
        mode = acts[0].lower()
    else:
        if ctx.attr(node, "activations") is not None:
            raise Refused("%s: custom activations are not supported" % _label(node))
        mode = op.lower()
    if op == "GRU" and not ctx.attr(node, "linear_before_reset", 0):
        raise Refused("%s: linear_before_reset=0 is not supported (PuzzleLib's GRU resets after the product)" % _label(node))
    W, R = ctx.needConst(node, 1, "W"), ctx.needConst(node, 2, "R")
    B = ctx.const(node.input[3]) if len(node.input) > 3 and node.input[3] else np.zeros((dirs, 2 * W.shape[1]), W.dtype)
    gates = W.shape[1] // H
    if B is None:
        raise Refused("%s: its B must be a constant" % _label(node))
    Wb, Rb = B[:, :gates * H], B[:, gates * H:]
    if op == "GRU" and np.any(Rb[:, 2 * H:]):
        raise Refused("%s: a recurrent bias of the new gate (Rbh) is not supported" % _label(node))

    # the outputs: Y -> Transpose(0, 2, 1, 3) -> Reshape(0, 0, -1), or Y_h -> Transpose(1, 0, 2) -> Reshape(0, -1)
    used = [i for i, name in enumerate(node.output) if name and (name in ctx.consumers or name in ctx.outputs)]
    if len(used) != 1 or used[0] > 1:
        raise Refused("%s: exactly one of Y or Y_h must be used" % _label(node))
    sequences = used[0] == 0
    perm, shape = ([0, 2, 1, 3], [0, 0, -1]) if sequences else ([1, 0, 2], [0, -1])
    t = ctx.soleConsumer(node.output[used[0]], "Transpose")
    r = ctx.soleConsumer(ctx.nodes[t].output[0], "Reshape") if t is not None else None
    if t is None or list(ctx.attr(ctx.nodes[t], "perm", [])) != perm or r is None or \
            ctx.const(ctx.nodes[r].input[1]) is None or list(ctx.const(ctx.nodes[r].input[1])) != shape:
        raise Refused("%s: its output must go through Transpose%s and Reshape%s (as the exporter writes it)" % (
            _label(node), tuple(perm), tuple(shape)))
    ctx.done.update((t, r))

    mod = M.RNN(W.shape[2], H, mode=mode, direction="bi" if dirs == 2 else "uni", getSequences=sequences,
                modifier=None)
    order = _OUR_GATES[op]
    for d, suffix in enumerate(("", "r")[:dirs]):
        bias = Wb[d] + Rb[d]
        if op == "GRU":
            bias = np.concatenate([bias[:2 * H], Wb[d, 2 * H:]])
        _set(mod, "W0" + suffix, np.concatenate([W[d, order[g] * H:(order[g] + 1) * H].T for g in range(gates)], 1))
        _set(mod, "R0" + suffix, np.concatenate([R[d, order[g] * H:(order[g] + 1) * H].T for g in range(gates)], 1))
        _set(mod, "b0" + suffix, np.concatenate([bias[order[g] * H:(order[g] + 1) * H] for g in range(gates)]))
    return _Entry(mod, [node.input[0]], [ctx.nodes[r].output[0]])


_HANDLERS = {
    "Gemm": _gemm, "MatMul": _matmul, "Conv": _conv, "ConvTranspose": _convTranspose,
    "MaxPool": _pool, "AveragePool": _pool, "GlobalAveragePool": _globalAvgPool,
    "BatchNormalization": _batchNorm, "InstanceNormalization": _instanceNorm,
    "Relu": _activation, "Sigmoid": _activation, "Tanh": _activation, "Softplus": _activation,
    "LeakyRelu": _activation, "Elu": _activation, "Clip": _activation, "PRelu": _prelu,
    "Softmax": _softmax, "Flatten": _flatten, "Reshape": _reshape, "Transpose": _transpose,
    "Identity": _identity, "Dropout": _identity,
    "Add": _elementwise, "Mul": _elementwise, "Sum": _elementwise, "Concat": _concat, "Split": _split,
    "ReduceSum": _reduceSum, "Unsqueeze": _unsqueezeWeights, "Pad": _pad, "Resize": _resize, "LRN": _lrn,
    "Max": _max, "Gather": _gather, "Slice": _slice, "Tile": _tile, "Cast": _cast,
    "LSTM": _recurrent, "GRU": _recurrent, "RNN": _recurrent, "Sub": _onlyInPattern, "Pow": _onlyInPattern, "Where": _onlyInPattern,
    "Erf": _onlyInPattern, "Div": _onlyInPattern, "Squeeze": _onlyInPattern,
    "MaxUnpool": _maxUnpool, "Shape": _onlyInPattern,
    "TopK": _kmaxPool, "GridSample": _onlyInPattern,
}

SUPPORTED = tuple(sorted(_HANDLERS))


# ---- putting the modules together ---------------------------------------------------------------------

def build(model, onnx, numpyHelper):
    ctx = _Context(model, onnx, numpyHelper)
    unknown = sorted({n.op_type for n in ctx.nodes if n.op_type not in _HANDLERS})
    if unknown:
        first = next(n for n in ctx.nodes if n.op_type == unknown[0])
        raise Refused("operator%s %s (first at %s) %s no PuzzleLib module; supported: %s" % (
            "s" if len(unknown) > 1 else "", ", ".join(unknown), _label(first),
            "have" if len(unknown) > 1 else "has", ", ".join(SUPPORTED)))
    if not ctx.inputs:
        raise Refused("the graph has no inputs")
    if not ctx.outputs:
        raise Refused("the graph has no outputs")
    for name in ctx.outputs:
        if name in ctx.consts:
            raise Refused("output %r is a constant" % name)

    ctx.pools, ctx.shapeOf = {}, _prefuseShapes(ctx)
    prefused = _prefuseGelu(ctx)
    prefused.update(_prefuseLCN(ctx))
    entries = []
    for k, node in enumerate(ctx.nodes):
        if k in prefused:
            entries.append(prefused[k])
            continue
        if k in ctx.done:
            continue
        entry = _HANDLERS[node.op_type](ctx, k, node)
        ctx.done.add(k)
        for name in entry.ins:
            if name in ctx.consts:
                raise Refused("%s: a constant %r as data is not supported" % (_label(node), name))
        entries.append(entry)

    # every tensor an entry reads must come from an entry or an input (a fused node's inner tensors do not)
    produced = set(ctx.inputs)
    for entry in entries:
        for name in entry.ins:
            if name not in produced:
                raise Refused("tensor %r is read by a %s but is inside a fused chain of operators" % (
                    name, type(entry.module).__name__))
        produced.update(entry.outs)
    for name in ctx.outputs:
        if name not in produced:
            raise Refused("output %r is inside a fused chain of operators" % name)

    names = _moduleNames(model.graph.name, entries)
    for entry, name in zip(entries, names):
        entry.module.name = name

    for entry in entries:  # modules without parameters compute in the dtype of their input
        t = ctx.types.get(entry.ins[0]) if entry.ins else None
        if not t or isinstance(entry.module, M.Cast):
            continue
        dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t))
        if dtype.kind == "f" and dtype != np.dtype(entry.module.calctype) and gpuarray.isDtypeSupported(dtype):
            entry.module.calcMode(dtype)
    return _sequential(model.graph.name, ctx, entries) or _graph(model.graph.name, ctx, entries)


def _moduleNames(root, entries):
    prefix = root + "." if root else None
    raw = [e.outs[0] for e in entries]
    if prefix and all(n.startswith(prefix) for n in raw):
        raw = [n[len(prefix):] for n in raw]
    names, taken = [], set()
    for n in raw:
        n = n.replace(".", "_").replace("/", "_") or "node"
        base, k = n, 1
        while n in taken:
            n = "%s_%d" % (base, k)
            k += 1
        taken.add(n)
        names.append(n)
    return names


def _sequential(name, ctx, entries):
    if len(ctx.inputs) != 1 or len(ctx.outputs) != 1:
        return None
    readers = {}
    for entry in entries:
        for tensor in entry.ins:
            readers[tensor] = readers.get(tensor, 0) + 1
    current = ctx.inputs[0]
    for entry in entries:
        if entry.ins != [current] or len(entry.outs) != 1 or readers.get(current, 0) > 1:
            return None
        current = entry.outs[0]
    if current != ctx.outputs[0]:
        return None
    net = Sequential(name=name or None)
    for entry in entries:
        net.append(entry.module)
    return net


def _graph(name, ctx, entries):
    source = {}
    taken = {e.module.name for e in entries}
    inputNodes = []
    for inp in ctx.inputs:
        label = inp.replace(".", "_")
        while label in taken:
            label += "_in"
        taken.add(label)
        node = M.Identity(name=label).node()
        inputNodes.append(node)
        source[inp] = (node, None)
    for entry in entries:
        parents = [source[n] for n in entry.ins]
        node = entry.module.node(*[p if p[1] is not None else p[0] for p in parents])
        if len(entry.outs) == 1:
            source[entry.outs[0]] = (node, None)
        else:
            for slot, out in enumerate(entry.outs):
                source[out] = (node, slot)
    outputNodes = []
    for out in ctx.outputs:
        node, slot = source[out]
        if slot is not None:
            label = out.replace(".", "_") + "_out"
            node = M.Identity(name=label).node((node, slot))
        outputNodes.append(node)
    return Graph(inputs=inputNodes[0] if len(inputNodes) == 1 else inputNodes,
                 outputs=outputNodes[0] if len(outputNodes) == 1 else outputNodes, name=name or None)
