"""N-d convolution shared by Conv1D/2D/3D and Deconv1D/2D/3D (private).

The math is written once for any number of spatial axes, on the backend's array namespace:

- ``gatherColumns`` ("im2col") copies, through one strided *view* of the (padded) input, every
  kernel window into a column matrix of layout ``(C, *K, N, *grid)``; a convolution is then one
  matrix product per group, ``W(O, C*K) @ cols(C*K, N*grid)``.
- ``scatterColumns`` ("col2im") is the adjoint: it adds a column matrix back into an image by a
  loop over the kernel taps (``prod(K)`` strided adds of whole arrays), never over pixels.
- With stride 1 the columns live on an *extended grid* (see ``Geometry``), so every copy and add
  runs over long contiguous stretches, and the input gradient is itself a convolution of the
  output gradient with the flipped kernel (a gather instead of a scatter) where that is cheaper.

A transposed convolution (Deconv) is the adjoint of a convolution, so it reuses the same pieces
with their roles swapped.
"""
import itertools
import numbers
import threading
import weakref
from functools import partial

from PuzzleLib.Backend import _jit, gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import _winograd
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._initscheme import createTensorWithScheme, parseInitScheme
from PuzzleLib.Modules._validate import ownerName, positiveInt, realNumber
from PuzzleLib.Variable import Variable

xp = gpuarray.xp
_asStrided = xp.lib.stride_tricks.as_strided


# ---- arguments -------------------------------------------------------------------------------------

def spatialTuple(owner, argname, value, nd, minimum):
    """An int or a sequence of ``nd`` ints, each >= minimum, as a tuple of ``nd`` ints."""
    if isinstance(value, (tuple, list)):
        values = tuple(value)
        if len(values) != nd:
            raise ModuleError("%s: %s must be an int or %d ints (one per spatial axis), got %r" % (
                owner, argname, nd, value))
    else:
        values = (value,) * nd
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
            raise ModuleError("%s: %s must be %s integer%s, got %r" % (
                owner, argname, "a positive" if minimum > 0 else "a non-negative",
                "" if nd == 1 else " or %d of them" % nd, value))
    return tuple(int(v) for v in values)


def convOutShape(inShape, size, stride, pad, dilation):
    """Spatial output sizes of a convolution (floor mode); may contain values < 1."""
    return tuple((i + 2 * p - d * (k - 1) - 1) // s + 1
                 for i, k, s, p, d in zip(inShape, size, stride, pad, dilation))


def deconvOutShape(inShape, size, stride, pad, dilation, postpad):
    """Spatial output sizes of a transposed convolution."""
    return tuple((i - 1) * s - 2 * p + d * (k - 1) + 1 + q
                 for i, k, s, p, d, q in zip(inShape, size, stride, pad, dilation, postpad))


def spatialLabel(nd):
    """The names of ``nd`` spatial axes for messages: "L", "H, W" or "D, H, W"."""
    return {1: "L", 2: "H, W", 3: "D, H, W"}.get(nd) or ", ".join("S%d" % i for i in range(nd))


def spatialRepr(values):
    """A per-axis tuple for ``__str__``: one number when every axis has it, else the tuple."""
    return str(values[0]) if len(set(values)) == 1 else str(values)


def prod(values):
    result = 1
    for v in values:
        result *= v
    return result


# ---- index arithmetic -----------------------------------------------------------------------------

class Geometry:
    """Where every kernel tap of a convolution reads, for one spatial shape.

    The *image* side is the convolution's input (a Deconv's output), zero-padded to ``padded``
    and stored flat, ``plane = prod(padded)`` elements per (sample, channel); the *column* side
    is the convolution's output (a Deconv's input), ``out`` positions per axis.

    With stride 1 on every axis the columns are laid out on an *extended grid*: every axis but
    the first keeps the padded length, so consecutive positions are consecutive in memory and a
    kernel tap reads one contiguous run per (sample, channel); the positions past ``out`` are
    garbage (cropped on the way out, zero on the way back) and can read up to ``slack``
    elements past the last plane, which the buffers allocate. Otherwise the grid is ``out``.
    """

    def __init__(self, imgShape, outShape, size, stride, pad, dilation):
        self.size = tuple(size)
        self.padded = tuple(n + 2 * p for n, p in zip(imgShape, pad))
        self.plane = prod(self.padded)
        self.out = tuple(outShape)
        axisStrides = tuple(prod(self.padded[i + 1:]) for i in range(len(self.padded)))
        self.flat = all(s == 1 for s in stride) and len(self.padded) > 1
        if self.flat:
            self.grid = (self.out[0],) + self.padded[1:]
            self.slack = sum((k - 1) * d * st for k, d, st in zip(size[1:], dilation[1:], axisStrides[1:]))
        else:
            self.grid = self.out
            self.slack = 0
        self.gridSize = prod(self.grid)
        self.gridStrides = tuple(s * st for s, st in zip(stride, axisStrides))
        self.kernelStrides = tuple(d * st for d, st in zip(dilation, axisStrides))
        self.offsets = [sum(k * st for k, st in zip(offset, self.kernelStrides))
                        for offset in itertools.product(*(range(k) for k in size))]
        self.valid = (slice(None), slice(None)) + tuple(slice(0, o) for o in self.out)
        self.interior = (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(pad, imgShape))
        overlap = any(s < k * d - (d - 1) for s, k, d in zip(stride, size, dilation))
        self.overlap = overlap or self.flat
        self.views = {}

    def bufferSize(self, rows):
        """Elements of a flat image buffer of ``rows`` planes, slack included."""
        return rows * self.plane + self.slack


def _strided(buf, shape, strides, offset=0):
    """A view of the flat ``buf`` from element ``offset`` with ``shape`` and element ``strides``."""
    isz = buf.dtype.itemsize
    return _asStrided(buf[offset:] if offset else buf, shape=shape, strides=tuple(s * isz for s in strides))


def stridedView(geo, buf, shape, strides, offset=0):
    """``_strided``, cached on the Geometry for a persistent buffer (building a view costs more than
    a small add); a few entries at most, dropped when buffers come and go."""
    views = geo.views
    key = (id(buf), shape, strides, offset)
    entry = views.get(key)
    if entry is not None and entry[0] is buf:
        return entry[1]
    if len(views) > 64:
        views.clear()
    view = _strided(buf, shape, strides, offset)
    views[key] = (buf, view)
    return view


def paddedImage(mod, key, data, geo, fillValue=0.0):
    """``data`` (N, C, *S) copied into a flat buffer laid out (N, C, *padded) with a border of
    ``fillValue`` (kept from call to call) and the geometry's slack. Returns the flat buffer."""
    N, C = data.shape[:2]
    bufs = mod.__dict__.setdefault("_imageBufs", {})
    k = (key, tuple(data.shape), xp.dtype(data.dtype), fillValue)
    buf = bufs.get(k)
    if buf is None:
        buf = gpuarray.empty((geo.bufferSize(N * C),), data.dtype)
        buf.fill(fillValue)
        bufs[k] = buf
    image = buf[:N * C * geo.plane].reshape((N, C) + geo.padded)
    image[geo.interior] = data
    return buf


def gatherColumns(buf, N, C, geo, cols, flip=False):
    """Copy the kernel windows of a flat (N, C, plane) image into ``cols`` (C, *K, N, *grid);
    with ``flip`` the taps of each window come in reverse order."""
    plane = geo.plane
    kernelStrides = geo.kernelStrides
    offset = 0
    if flip:
        offset = geo.offsets[-1]
        kernelStrides = tuple(-s for s in kernelStrides)
    view = stridedView(geo, buf, (C,) + geo.size + (N,) + geo.grid,
                       (plane,) + kernelStrides + (C * plane,) + geo.gridStrides, offset)
    xp.copyto(cols, view)
    return cols


def scatterColumns(cols, C, N, geo, buf):
    """Add ``cols`` (C, *K, N, *grid) into a flat (C, N, plane) image (zeroed by the caller), one
    strided add of whole arrays per kernel tap."""
    K = prod(geo.size)
    colsk = cols.reshape((C, K, N) + geo.grid)
    shape = (C, N) + geo.grid
    strides = (N * geo.plane, geo.plane) + geo.gridStrides
    for j, off in enumerate(geo.offsets):
        dst = stridedView(geo, buf, shape, strides, off)
        dst += colsk[:, j]
    return buf


def zeroedScratch(mod, key, shape, dtype):
    """A private buffer of ``shape`` that starts as zeros; callers keep the parts they rely on zero."""
    bufs = mod.__dict__.setdefault("_zeroBufs", {})
    k = (key, tuple(shape), xp.dtype(dtype))
    buf = bufs.get(k)
    if buf is None:
        buf = gpuarray.zeros(shape, dtype)
        bufs[k] = buf
    return buf


def gridBuffer(mod, key, rows, N, geo, dtype):
    """A zeroed (rows, N, *grid) buffer; callers write only its ``geo.valid`` part, so the garbage
    positions of an extended grid stay zero."""
    return zeroedScratch(mod, key, (rows, N) + geo.grid, dtype)


def dropShapeCaches(mod):
    """Forget what the helpers above keep on ``mod`` per data shape and dtype (geometries with
    their cached views, padded images, zeroed scratch): on ``calcMode``, so the buffers of the
    old dtype are not held for good."""
    for key in ("_geos", "_fullGeos", "_imageBufs", "_zeroBufs"):
        cache = mod.__dict__.get(key)
        if cache is not None:
            cache.clear()


# ---- the shared workspace --------------------------------------------------------------------------

class _Workspace:
    """Scratch shared by every convolution of the process, so that a net's conv buffers are bounded by
    its largest layer, not summed over its layers (issue 20, finding 4).

    A *slot* is one flat buffer per dtype, grown (by at least half) to the largest request and handed
    out again to the next layer; a slot's contents live only until the next request for that slot, so
    a module uses it within one call (or between ``updateGrad`` and ``accGradParams`` of one backward,
    for the slots named ``bwd...``); each thread has slots of its own. The im2col columns a layer keeps from forward to backward are
    kept only while all layers together keep at most ``colsBudget`` bytes; beyond it a layer gathers
    its columns again in backward, into a slot (the same numbers: the same copy of the same input).
    """

    def __init__(self, colsBudget):
        self.colsBudget = colsBudget
        self._local = threading.local()
        self._geos = weakref.WeakSet()     # geometries that cached views of slot buffers
        self._kept = {}                     # id(module) -> {shape of columns: bytes} it keeps
        self.grown = 0

    @property
    def _slots(self):
        """This thread's slots: {(name, dtype): flat buffer}."""
        slots = getattr(self._local, "slots", None)
        if slots is None:
            slots = self._local.slots = {}
        return slots

    def slot(self, name, size, dtype):
        """A flat buffer of at least ``size`` elements of ``dtype`` (its start is what callers use)."""
        dtype = xp.dtype(dtype)
        slots = self._slots
        buf = slots.get((name, dtype))
        if buf is None or buf.size < size:
            if buf is not None:
                size = max(size, buf.size + buf.size // 2)
                for geo in list(self._geos):     # views of the old buffer would keep it alive
                    geo.views.clear()
            buf = gpuarray.kernels.plain(gpuarray.empty((size,), dtype))
            slots[(name, dtype)] = buf
            self.grown += 1
        return buf

    def array(self, name, shape, dtype):
        """A slot as an array of ``shape`` (contents left from earlier use)."""
        return self.slot(name, prod(shape), dtype)[:prod(shape)].reshape(shape)

    def watch(self, geo):
        self._geos.add(geo)

    def keepCols(self, mod, shape, dtype):
        """Whether ``mod`` may keep columns of ``shape`` from forward to backward (one buffer per shape,
        as the module's output buffers are)."""
        held = self._kept.get(id(mod))
        if held is not None and shape in held:
            return True
        nbytes = prod(shape) * xp.dtype(dtype).itemsize
        if self.keptBytes() + nbytes > self.colsBudget:
            return False
        if held is None:
            held = self._kept[id(mod)] = {}
            weakref.finalize(mod, self._kept.pop, id(mod), None)
        held[shape] = nbytes
        return True

    def keptBytes(self):
        return sum(sum(held.values()) for held in self._kept.values())

    def release(self, mod):
        self._kept.pop(id(mod), None)

    def nbytes(self):
        """Bytes held by this thread's slots and by the columns layers keep (at most colsBudget)."""
        return sum(b.nbytes for b in self._slots.values()) + self.keptBytes()

    def clear(self):
        """Drop this thread's slots (they are made again on the next call)."""
        self._slots.clear()
        for geo in list(self._geos):
            geo.views.clear()


workspace = _Workspace(colsBudget=512 << 20)

# a ConvND on the CPU lays its columns out per sample (see ConvND._perSampleWanted) where inmaps *
# kernel taps <= perSampleMaxRows and there are >= perSampleMinPositions output positions per sample;
# measured faster on one thread wherever it applied (up to 288 rows, where it tied); with the samples
# spread over threads and the weight gradient summed per group of samples (perSampleGroups partial
# sums instead of one per sample), forward + backward against the grid, ms: 5x5 16 -> 32 maps (400
# rows) 17.6 -> 8.8-9.6, 3x3 stride 2 64 -> 128 (576 rows) 18.4-22.4 -> 15.5-19.5, 32 -> 64 (288 rows)
# 6.6 -> 5.4-7.8 (benchmarks/RESULTS.md, issue 14)
perSampleMaxRows = 576
perSampleMinPositions = 16
perSampleMinGradPositions = 64  # the input gradient too, from this many (below, its strided adds cost more)
perSampleSplitSize = 1 << 18     # columns (N x C K x positions) from which the samples are spread over threads
perSampleGroups = 8              # the weight gradient's groups of samples (from perSampleSplitSize), summed in order


def overSamples(N, work, fn):
    """``fn(n0, n1)`` over the N samples: in one call on the calling thread where ``work`` (elements) is
    below perSampleSplitSize, else in parts spread over threads (``_jit.splitProducts``: numpy's
    copies are single-threaded; each sample's numbers are its own either way)."""
    if work < perSampleSplitSize:
        fn(0, N)
        return
    _jit.splitProducts([partial(fn, n0, n1) for n0, n1 in _jit._parts(N, 4 * _jit.THREADS)])


def slotImage(name, data, geo, layout="NC"):
    """``data`` (N, C, *S) copied into a workspace slot laid out flat (N, C, *padded) (or (C, N, ...) for
    ``layout="CN"``) with a zero border and the geometry's slack. Returns the flat buffer."""
    N, C = data.shape[:2]
    buf = workspace.slot(name, geo.bufferSize(N * C), data.dtype)
    workspace.watch(geo)
    used = buf[:geo.bufferSize(N * C)]
    if any(p != n for p, n in zip(geo.padded, data.shape[2:])):
        used.fill(0)
    elif geo.slack:
        used[N * C * geo.plane:].fill(0)
    image = used[:N * C * geo.plane].reshape((N, C) + geo.padded)
    xp.copyto(image[geo.interior], data)
    return buf


def slotGrid(name, rows, N, geo, dtype):
    """A (rows, N, *grid) slot with the garbage positions of an extended grid zeroed (callers write
    only its ``geo.valid`` part)."""
    buf = workspace.array(name, (rows, N) + geo.grid, dtype)
    for axis, (g, o) in enumerate(zip(geo.grid, geo.out)):
        if g > o:
            buf[(slice(None), slice(None)) + (slice(None),) * axis + (slice(o, None),)] = 0
    return buf


# ---- convolution ----------------------------------------------------------------------------------

class _ConvBase(Module):
    """What Conv and Deconv share: argument parsing, W/b, shape checks and the gradient transpose."""

    nd = 2

    def __init__(self, inmaps, outmaps, size, stride=1, pad=0, dilation=1, wscale=1.0, useBias=True, name=None,
                 initscheme=None, empty=False, groups=1, postpad=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        nd = self.nd
        self.inmaps = positiveInt(owner, "inmaps", inmaps)
        self.outmaps = positiveInt(owner, "outmaps", outmaps)
        self.size = spatialTuple(owner, "size", size, nd, 1)
        self.stride = spatialTuple(owner, "stride", stride, nd, 1)
        self.pad = spatialTuple(owner, "pad", pad, nd, 0)
        self.dilation = spatialTuple(owner, "dilation", dilation, nd, 1)
        self.groups = positiveInt(owner, "groups", groups)
        if postpad is not None:
            self.postpad = spatialTuple(owner, "postpad", postpad, nd, 0)
            for q, s, d in zip(self.postpad, self.stride, self.dilation):
                if q >= max(s, d):
                    raise ModuleError("%s: postpad must be smaller than stride or dilation on each axis, got "
                                      "postpad=%r, stride=%r, dilation=%r" % (owner, postpad, stride, dilation))
        if self.inmaps % self.groups or self.outmaps % self.groups:
            raise ModuleError("%s: inmaps (%d) and outmaps (%d) must both be divisible by groups (%d)" % (
                owner, self.inmaps, self.outmaps, self.groups))
        self.wscale = realNumber(owner, "wscale", wscale)
        parseInitScheme(initscheme, owner)
        self.useBias = bool(useBias)

        wshape, fanIn, fanOut = self._wshape()
        if empty:
            W = gpuarray.empty(wshape, self.calctype)
        else:
            W = createTensorWithScheme(initscheme, wshape, self.wscale, fanIn, fanOut, owner=owner)
        self.setVar("W", Variable(W))
        self._wgTiles = None
        self._bothGrads = False
        if self.useBias:
            self.setVar("b", Variable(gpuarray.zeros((1, self.outmaps) + (1,) * self._paramNd(), self.calctype)))
        self._bwdCache = None

    def _paramNd(self):
        """Spatial axes of W and b: a 1-d convolution keeps PuzzleLib's 2-d layout, W (.., 1, size) and
        b (1, outmaps, 1, 1), so that PuzzleLib files load (upstream's Conv1D is a Conv2D on one row)."""
        return max(self.nd, 2)

    def _kernelShape(self):
        """The spatial part of W's shape."""
        return (1,) * (self._paramNd() - self.nd) + self.size

    def _biasView(self):
        """b as (1, outmaps, 1, ...) with one axis per spatial axis of the data."""
        return self.vars["b"].data.reshape((1, self.outmaps) + (1,) * self.nd)

    # -- shared pieces --
    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=0.0):
        self._bwdCache = None
        self._bothGrads = updGrad and updParamGrads and self.train
        try:
            return super().backward(grad, updParamGrads, updGrad, scale, momentum)
        finally:
            self._bwdCache = None
            self._bothGrads = False

    def calcMode(self, dtype):
        super().calcMode(dtype)
        dropShapeCaches(self)
        workspace.release(self)
        self._colsm = self._xT = None

    def _geometry(self, shape):
        """The Geometry for data of ``shape`` (cached per shape)."""
        geos = self.__dict__.setdefault("_geos", {})
        geo = geos.get(tuple(shape))
        if geo is None:
            geo = self._makeGeometry(tuple(shape[2:]))
            geos[tuple(shape)] = geo
        return geo

    def _toGrid(self, key, ary, geo, keep=False):
        """``ary`` (N, C, *out) as a (C, N * gridSize) matrix, zero at the garbage grid positions;
        ``keep``: in a buffer of the module's own (of this call's own unless a handler drives the
        module), else in the workspace slot ``key``."""
        N, C = ary.shape[:2]
        if keep and not self._reuse:
            buf = gpuarray.zeros((C, N) + geo.grid, ary.dtype)
        elif keep:
            buf = gridBuffer(self, key, C, N, geo, ary.dtype)
        else:
            buf = slotGrid(key, C, N, geo, ary.dtype)
        xp.copyto(buf[geo.valid], ary.swapaxes(0, 1))
        return buf.reshape(C, N * geo.gridSize)

    def _fromGrid(self, res, N, geo, out, bias=None):
        """``out`` (N, C, *out) = the valid part of ``res`` (C, N * gridSize), plus ``bias``."""
        C = res.shape[0]
        valid = res.reshape((C, N) + geo.grid)[geo.valid].swapaxes(0, 1)
        if bias is not None:
            xp.add(valid, bias, out=out)
        else:
            xp.copyto(out, valid)
        return out

    def _matmulGroups(self, A, B, out, transA=False, transB=False):
        """For each group g: ``out[g] = op(A[g]) @ op(B[g])``, where X[g] is the g-th block of rows
        of the stored matrix X and op transposes it when asked; with groups, one batched product over
        (G, rows / G, ...) views (one cuBLAS batched call on a GPU, not one call per group)."""
        G = self.groups
        if G == 1:
            xp.matmul(A.T if transA else A, B.T if transB else B, out=out)
            return out
        a = A.reshape((G, A.shape[0] // G) + A.shape[1:])
        b = B.reshape((G, B.shape[0] // G) + B.shape[1:])
        xp.matmul(a.swapaxes(1, 2) if transA else a, b.swapaxes(1, 2) if transB else b,
                  out=out.reshape((G, out.shape[0] // G) + out.shape[1:]))
        return out

    def _accBias(self, gridGrad, scale, momentum):
        bvar = self.vars["b"]
        tmp = self._scratch("db", bvar.grad.shape, gridGrad.dtype)
        xp.sum(gridGrad, axis=1, out=tmp.reshape(-1))
        self._accumulateParamGrad(bvar, tmp, scale, momentum)

    # -- Winograd F(2x2, 3x3): 3x3 stride-1 float32 layers on the CPU (_winograd.py) --
    # A Conv and, with stride 1, a Deconv are both a convolution of their input (data, inmaps maps) into
    # their output (outmaps maps): a Deconv's with the kernel flipped and its maps swapped, padded by
    # 2 - pad. ``_wgPad`` and ``_wgKernel`` say which; the rest is shared.
    def _winogradTiles(self, data):
        """(th, tw), the output tiles per column and row, where this call goes by Winograd, else None."""
        if not (_winograd.enabled and self.nd == 2 and self.size == (3, 3) and self.stride == (1, 1)
                and self.dilation == (1, 1) and self.groups == 1 and data.dtype == xp.float32
                and min(self.inmaps, self.outmaps) >= _winograd.minMaps and gpuarray.backendName == "cpu"
                and min(self._wgPad()) >= 0):
            return None
        th, tw = _winograd.tiles(convOutShape(data.shape[2:], self.size, self.stride, self._wgPad(), self.dilation))
        if data.shape[0] * th * tw * self.inmaps * self.outmaps < _winograd.minWork or _winograd.kernels() is None:
            return None
        return th, tw

    def _winogradWeights(self, dtype):
        """U (16, C, O): the transformed kernels, from W as it is now."""
        U = workspace.array("wgU", (16, self.inmaps, self.outmaps), dtype)
        return _winograd.transformedWeights(self._wgKernel(dtype), U)

    def _winogradForward(self, data):
        O = self.outmaps
        if self.useBias:
            bias = gpuarray.kernels.plain(self.vars["b"].data).reshape(O)
        else:
            bias = zeroedScratch(self, "wgbias", (O,), data.dtype)
        out, plainOut = self._bufferPair("data", self.dataShapeFrom(data.shape), data.dtype)
        x = xp.ascontiguousarray(gpuarray.kernels.plain(data))
        _winograd.forward(x, self._winogradWeights(data.dtype), bias, plainOut, *self._wgPad(), *self._wgTiles)
        self.data = out

    def _winogradBackward(self, grad, dx, dU):
        x = xp.ascontiguousarray(gpuarray.kernels.plain(self.inData))
        g = xp.ascontiguousarray(gpuarray.kernels.plain(grad))
        _winograd.backward(x, g, self._winogradWeights(grad.dtype), dx, dU, *self._wgPad(), *self._wgTiles)

    def _winogradInputGrad(self, grad):
        out, plainOut = self._bufferPair("grad", self.inData.shape, grad.dtype)
        dU = None
        if self._bothGrads:
            # backward() goes on to the parameters' gradients: one pass over the blocks for both
            dU = self._scratch("wgdU", (16, self.inmaps, self.outmaps), grad.dtype)
            self._bwdCache = dU
        self._winogradBackward(grad, plainOut, dU)
        self.grad = out

    def _winogradParamGrads(self, grad, scale, momentum):
        dU = self._bwdCache
        if dU is None:
            dU = self._scratch("wgdU", (16, self.inmaps, self.outmaps), grad.dtype)
            self._winogradBackward(grad, None, dU)
        Wvar = self.vars["W"]
        dW = self._scratch("dW", Wvar.grad.shape, grad.dtype)
        self._accumulateParamGrad(Wvar, self._wgKernelGrad(dU, dW), scale, momentum)
        if self.useBias:
            bvar = self.vars["b"]
            db = self._scratch("db", bvar.grad.shape, grad.dtype)
            xp.sum(gpuarray.kernels.plain(grad), axis=(0, 2, 3), out=db.reshape(-1))
            self._accumulateParamGrad(bvar, db, scale, momentum)

    # -- checks --
    def _checkShapeOf(self, what, shape, maps):
        nd = self.nd
        if len(shape) != nd + 2:
            raise self._error("expected %d-d %s (N, %d, %s), got %d-d %s of shape %s" % (
                nd + 2, what, maps, spatialLabel(nd), len(shape), what, tuple(shape)))
        if shape[1] != maps:
            raise self._error("expected %s with %d maps, shape (N, %d, %s), got %s" % (
                what, maps, maps, spatialLabel(nd), tuple(shape)))

    def _extraRepr(self):
        fmt = spatialRepr
        extra = "%d -> %d, size=%s" % (self.inmaps, self.outmaps, fmt(self.size))
        if any(s != 1 for s in self.stride):
            extra += ", stride=%s" % fmt(self.stride)
        if any(self.pad):
            extra += ", pad=%s" % fmt(self.pad)
        if any(d != 1 for d in self.dilation):
            extra += ", dilation=%s" % fmt(self.dilation)
        if getattr(self, "postpad", None) and any(self.postpad):
            extra += ", postpad=%s" % fmt(self.postpad)
        if self.groups != 1:
            extra += ", groups=%d" % self.groups
        if not self.useBias:
            extra += ", no bias"
        return extra


class ConvND(_ConvBase):
    """An N-d convolution (cross-correlation, as every deep-learning library computes it).

    ``W`` has shape ``(outmaps, inmaps // groups, *size)``, ``b`` ``(1, outmaps, 1, ...)`` (in 1-d
    ``(outmaps, inmaps // groups, 1, size)`` and ``(1, outmaps, 1, 1)``, as PuzzleLib's); the
    output has ``(S + 2 * pad - dilation * (size - 1) - 1) // stride + 1`` positions per axis.
    """

    def __init__(self, inmaps, outmaps, size, stride=1, pad=0, dilation=1, wscale=1.0, useBias=True, name=None,
                 initscheme=None, empty=False, groups=1):
        super().__init__(inmaps, outmaps, size, stride, pad, dilation, wscale, useBias, name, initscheme, empty,
                         groups)

    def _wshape(self):
        k = prod(self.size)
        wshape = (self.outmaps, self.inmaps // self.groups) + self._kernelShape()
        return wshape, (self.inmaps // self.groups) * k, self.outmaps * k

    def _makeGeometry(self, inShape):
        outShape = convOutShape(inShape, self.size, self.stride, self.pad, self.dilation)
        return Geometry(inShape, outShape, self.size, self.stride, self.pad, self.dilation)

    def updateData(self, data):
        self._wgTiles = self._winogradTiles(data)
        if self._wgTiles is not None:
            self._winogradForward(data)
            return
        self._perSample = self._perSampleWanted(data)
        if self._perSample:
            self._perSampleForward(data)
            return
        N, C = data.shape[:2]
        O, K = self.outmaps, prod(self.size)
        geo = self._geometry(data.shape)

        colsShape = (C,) + self.size + (N,) + geo.grid
        if workspace.keepCols(self, colsShape, data.dtype):
            # kept for the backward pass: a per-call buffer (a Graph may run a shared module twice)
            colsm = self._gather(data, geo, self._buffer("cols", colsShape, data.dtype))
            self._colsm = colsm
        else:
            colsm = self._gather(data, geo, workspace.array("cols", colsShape, data.dtype))
            self._colsm = None

        res = workspace.array("res", (O, N * geo.gridSize), data.dtype)
        self._matmulGroups(self.vars["W"].data.reshape(O, -1), colsm, res)
        out = self._buffer("data", (N, O) + geo.out, data.dtype)
        self._fromGrid(res, N, geo, out, self._biasView() if self.useBias else None)
        self.data = out

    # -- per-sample columns (N, C * K, positions): layers with few input maps x taps, on the CPU --
    # With few rows (input maps x taps) the grid layout's products are thin ((O x C K) @ (C K x N grid)
    # forward, a long inner dimension for the weight gradient) and its output and gradient need
    # transposing copies out of and into the grid. Columns laid out per sample make the forward N
    # products (O x C K) @ (C K x positions) written straight into the (N, O, positions) output, and the
    # weight gradient N short products summed, per group of samples (benchmarks/RESULTS.md, issue 14: forward and weight
    # gradient on one thread, grid -> per sample: an image net's first layer 3 -> 32 maps on 64 x 3 x
    # 32 x 32 11.3 -> 5.5 ms, LeNet's layers 0.142 -> 0.081 and 0.370 -> 0.314 ms, ResNet's 1x1
    # stride-2 projections 1.96 -> 0.96 and 1.01 -> 0.81 ms). With 64 output positions or more the
    # input gradient is per sample too: W^T g per sample, each tap added back into a padded image
    # (one thread: 5.1 -> 4.9 ms, 1.63 -> 0.77 and 0.51 -> 0.48 ms on those layers; LeNet's second,
    # 16 positions, 0.19 -> 0.40 ms, so it keeps the grid's).
    _perSample = False

    def _perSampleWanted(self, data):
        if not (gpuarray.backendName == "cpu" and self.nd == 2 and self.groups == 1
                and data.dtype in (xp.float32, xp.float64) and self.inmaps * prod(self.size) <= perSampleMaxRows):
            return False
        return prod(self._geometry(data.shape).out) >= perSampleMinPositions

    def _perSampleWindows(self, data):
        """The windows of ``data`` (N, C, *S): a (N, C, *K, *positions) view of its padded copy."""
        N, C = data.shape[:2]
        geo = self._geometry(data.shape)
        image = slotImage("image", data, geo)
        return stridedView(geo, image, (N, C) + self.size + geo.out,
                           (C * geo.plane, geo.plane) + geo.kernelStrides + geo.gridStrides)

    def _perSampleForward(self, data):
        N, C = data.shape[:2]
        O = self.outmaps
        geo = self._geometry(data.shape)
        shape = (N, C * prod(self.size), prod(geo.out))
        if workspace.keepCols(self, shape, data.dtype):
            cols = self._buffer("cols", shape, data.dtype)  # per call: kept for the weight gradient
            self._colsm = cols
        else:
            cols = workspace.array("cols", shape, data.dtype)
            self._colsm = None
        windows = self._perSampleWindows(gpuarray.kernels.plain(data))
        out, plainOut = self._bufferPair("data", (N, O) + geo.out, data.dtype)
        res = plainOut.reshape(N, O, -1)
        W = gpuarray.kernels.plain(self.vars["W"].data).reshape(O, -1)
        bias = gpuarray.kernels.plain(self.vars["b"].data).reshape(1, O, 1) if self.useBias else None

        def samples(n0, n1):
            xp.copyto(cols[n0:n1].reshape(windows[n0:n1].shape), windows[n0:n1])
            xp.matmul(W, cols[n0:n1], out=res[n0:n1])
            if bias is not None:
                res[n0:n1] += bias

        overSamples(N, cols.size, samples)
        self.data = out

    def _perSampleInputGrad(self, grad):
        """dx: per sample, the columns' gradient W^T g (C K x positions), each tap's row added back
        through a strided view of a zeroed padded image (col2im without the grid's transposing copy)."""
        x = self.inData
        N, C = x.shape[:2]
        O, K = self.outmaps, prod(self.size)
        geo = self._geometry(x.shape)
        g = xp.ascontiguousarray(gpuarray.kernels.plain(grad)).reshape(N, O, -1)
        dcols = workspace.array("cols", (N, C * K, g.shape[2]), grad.dtype)
        W = gpuarray.kernels.plain(self.vars["W"].data).reshape(O, C * K)
        image = workspace.slot("image", geo.bufferSize(N * C), grad.dtype)
        workspace.watch(geo)
        image[N * C * geo.plane:geo.bufferSize(N * C)].fill(0)
        taps = dcols.reshape((N, C, K) + geo.out)
        dsts = [stridedView(geo, image, (N, C) + geo.out, (C * geo.plane, geo.plane) + geo.gridStrides, off)
                for off in geo.offsets]
        padded = image[:N * C * geo.plane].reshape((N, C) + geo.padded)
        out, plainOut = self._bufferPair("grad", x.shape, grad.dtype)

        def samples(n0, n1):
            # a sample's windows stay inside its own padded planes: the parts write disjoint rows
            image[n0 * C * geo.plane:n1 * C * geo.plane].fill(0)
            xp.matmul(W.T, g[n0:n1], out=dcols[n0:n1])
            for j, dst in enumerate(dsts):
                dst[n0:n1] += taps[n0:n1, :, j]
            xp.copyto(plainOut[n0:n1], padded[n0:n1][geo.interior])

        overSamples(N, dcols.size, samples)
        self.grad = out

    def _perSampleParamGrads(self, grad, scale, momentum):
        x = self.inData
        N, C = x.shape[:2]
        O = self.outmaps
        cols = self._colsm
        windows = None
        if cols is None:
            shape = (N, C * prod(self.size), prod(grad.shape[2:]))
            cols = workspace.array("bwdcols", shape, grad.dtype)
            windows = self._perSampleWindows(gpuarray.kernels.plain(x))
        g = xp.ascontiguousarray(gpuarray.kernels.plain(grad)).reshape(N, O, -1)
        Wvar = self.vars["W"]
        dW = self._scratch("dW", (O, cols.shape[1]), grad.dtype)
        if cols.size < perSampleSplitSize:
            # few columns: one stacked product and one sum (few calls; a loop over samples costs more here)
            if windows is not None:
                xp.copyto(cols.reshape(windows.shape), windows)
            parts = workspace.array("dWparts", (N, O, cols.shape[1]), grad.dtype)
            xp.matmul(g, cols.transpose(0, 2, 1), out=parts)
            xp.sum(parts, axis=0, out=dW)
        else:
            # per group of samples, each summed in sample order on its own thread, then the groups in
            # order: the numbers do not depend on the threads, and the parts do not grow with the batch
            chunks = _jit._parts(N, perSampleGroups)
            parts = workspace.array("dWparts", (len(chunks), O, cols.shape[1]), grad.dtype)
            ones = workspace.array("dWone", (len(chunks), O, cols.shape[1]), grad.dtype)

            def group(k):
                n0, n1 = chunks[k]
                if windows is not None:
                    xp.copyto(cols[n0:n1].reshape(windows[n0:n1].shape), windows[n0:n1])
                xp.matmul(g[n0], cols[n0].T, out=parts[k])
                for n in range(n0 + 1, n1):
                    xp.matmul(g[n], cols[n].T, out=ones[k])
                    parts[k] += ones[k]

            _jit.splitProducts([partial(group, k) for k in range(len(chunks))])
            xp.sum(parts, axis=0, out=dW)
        self._accumulateParamGrad(Wvar, dW.reshape(Wvar.grad.shape), scale, momentum)
        if self.useBias:
            bvar = self.vars["b"]
            db = self._scratch("db", bvar.grad.shape, grad.dtype)
            xp.sum(g, axis=(0, 2), out=db.reshape(-1))
            self._accumulateParamGrad(bvar, db, scale, momentum)

    def _gather(self, data, geo, cols):
        """The columns of ``data`` (N, C, *S) into ``cols`` (C, *K, N, *grid), as (C * K, N * gridSize)."""
        N, C = data.shape[:2]
        gatherColumns(slotImage("image", data, geo), N, C, geo, cols)
        return cols.reshape(C * prod(self.size), N * geo.gridSize)

    def _columns(self):
        """The forward pass's columns: kept, or gathered again from the input into a slot."""
        if self._colsm is not None:
            return self._colsm
        x = self.inData
        N, C = x.shape[:2]
        geo = self._geometry(x.shape)
        return self._gather(x, geo, workspace.array("bwdcols", (C,) + self.size + (N,) + geo.grid, x.dtype))

    def _gradGrid(self, grad):
        """The output gradient as (O, N * gridSize), computed once per backward call."""
        if self._bwdCache is None:
            self._bwdCache = self._toGrid("bwdgT", grad, self._geometry(self.inData.shape))
        return self._bwdCache

    def _wgPad(self):
        return self.pad

    def _wgKernel(self, dtype):
        """W as the kernel of the convolution Winograd computes: (outmaps, inmaps, 3, 3)."""
        return gpuarray.kernels.plain(self.vars["W"].data)

    def _wgKernelGrad(self, dU, dW):
        """The gradient of W from the transformed kernels' gradient dU (16, inmaps, outmaps), into dW."""
        return _winograd.weightGradient(dU, dW)

    def _fullConvGeometry(self, shape):
        """With stride 1 the input gradient is a convolution of the output gradient, padded by
        ``dilation * (size - 1) - pad``, with the flipped kernel: the Geometry for that, or None
        where the padding would be negative, or where outmaps > inmaps (then gathering the
        gradient's windows copies more than adding the columns back costs)."""
        geos = self.__dict__.setdefault("_fullGeos", {})
        if tuple(shape) not in geos:
            back = tuple(d * (k - 1) - p for k, p, d in zip(self.size, self.pad, self.dilation))
            geo = None
            if all(s == 1 for s in self.stride) and min(back) >= 0 and self.outmaps <= self.inmaps:
                outShape = convOutShape(shape[2:], self.size, self.stride, self.pad, self.dilation)
                geo = Geometry(outShape, tuple(shape[2:]), self.size, self.stride, back, self.dilation)
            geos[tuple(shape)] = geo
        return geos[tuple(shape)]

    def _flippedW(self, dtype):
        """W as (inmaps, outmaps // groups * K): per group, input and output maps swapped."""
        O, C, G, K = self.outmaps, self.inmaps, self.groups, prod(self.size)
        Wf = self._scratch("Wf", (C, (O // G) * K), dtype)
        W = self.vars["W"].data.reshape(G, O // G, C // G, K)
        xp.copyto(Wf.reshape(G, C // G, O // G, K), W.transpose(0, 2, 1, 3))
        return Wf

    def _gradByFullConv(self, grad, geo):
        x = self.inData
        N, C = x.shape[:2]
        O = self.outmaps
        image = slotImage("image", grad, geo)
        gcols = workspace.array("cols", (O,) + self.size + (N,) + geo.grid, grad.dtype)
        gatherColumns(image, N, O, geo, gcols, flip=True)
        res = workspace.array("res", (C, N * geo.gridSize), grad.dtype)
        self._matmulGroups(self._flippedW(grad.dtype), gcols.reshape(O * prod(self.size), -1), res)
        out = self._buffer("grad", x.shape, grad.dtype)
        self._fromGrid(res, N, geo, out)
        self.grad = out

    def updateGrad(self, grad):
        if self._wgTiles is not None:
            self._winogradInputGrad(grad)
            return
        if self._perSample and prod(grad.shape[2:]) >= perSampleMinGradPositions:
            self._perSampleInputGrad(grad)
            return
        x = self.inData
        full = self._fullConvGeometry(x.shape)
        if full is not None:
            self._gradByFullConv(grad, full)
            return
        N, C = x.shape[:2]
        K = prod(self.size)
        geo = self._geometry(x.shape)
        gT = self._gradGrid(grad)

        dcols = workspace.array("cols", (C * K, N * geo.gridSize), grad.dtype)
        self._matmulGroups(self.vars["W"].data.reshape(self.outmaps, -1), gT, dcols, transA=True)
        image = workspace.slot("image", geo.bufferSize(C * N), grad.dtype)
        workspace.watch(geo)
        image[:geo.bufferSize(C * N)].fill(0)
        scatterColumns(dcols, C, N, geo, image)

        out = self._buffer("grad", x.shape, grad.dtype)
        padded = image[:C * N * geo.plane].reshape((C, N) + geo.padded)
        xp.copyto(out, padded[geo.interior].swapaxes(0, 1))
        self.grad = out

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        if self._wgTiles is not None:
            self._winogradParamGrads(grad, scale, momentum)
            return
        if self._perSample:
            self._perSampleParamGrads(grad, scale, momentum)
            return
        gT = self._gradGrid(grad)
        colsm = self._columns()
        Wvar = self.vars["W"]
        dW = self._scratch("dW", (self.outmaps, colsm.shape[0] // self.groups), grad.dtype)
        self._matmulGroups(gT, colsm, dW, transB=True)
        self._accumulateParamGrad(Wvar, dW.reshape(Wvar.grad.shape), scale, momentum)
        if self.useBias:
            self._accBias(gT, scale, momentum)

    def checkDataShape(self, shape):
        self._checkShapeOf("data", shape, self.inmaps)
        outShape = convOutShape(shape[2:], self.size, self.stride, self.pad, self.dilation)
        if min(outShape) < 1:
            raise self._error("data of spatial size %s is too small for size=%s, pad=%s, dilation=%s (shape %s)" % (
                tuple(shape[2:]), self.size, self.pad, self.dilation, tuple(shape)))

    def checkGradShape(self, shape):
        self._checkShapeOf("gradient", shape, self.outmaps)
        super().checkGradShape(shape)

    def dataShapeFrom(self, shape):
        return (shape[0], self.outmaps) + convOutShape(shape[2:], self.size, self.stride, self.pad, self.dilation)

    def gradShapeFrom(self, shape):
        # the smallest input that gives this output
        spatial = tuple((o - 1) * s - 2 * p + d * (k - 1) + 1
                        for o, k, s, p, d in zip(shape[2:], self.size, self.stride, self.pad, self.dilation))
        return (shape[0], self.inmaps) + spatial


class DeconvND(_ConvBase):
    """An N-d transposed convolution: the adjoint (input gradient) of ConvND.

    ``W`` has shape ``(inmaps, outmaps // groups, *size)``, ``b`` ``(1, outmaps, 1, ...)`` (in 1-d
    ``(inmaps, outmaps // groups, 1, size)`` and ``(1, outmaps, 1, 1)``); the output has ``(S - 1) * stride - 2 * pad + dilation * (size - 1) + 1 + postpad`` positions.
    """

    def __init__(self, inmaps, outmaps, size, stride=1, pad=0, dilation=1, postpad=0, wscale=1.0, useBias=True,
                 name=None, initscheme=None, empty=False, groups=1):
        super().__init__(inmaps, outmaps, size, stride, pad, dilation, wscale, useBias, name, initscheme, empty,
                         groups, postpad=postpad)

    def _wshape(self):
        k = prod(self.size)
        wshape = (self.inmaps, self.outmaps // self.groups) + self._kernelShape()
        return wshape, (self.inmaps // self.groups) * k, self.outmaps * k

    def _outShape(self, inShape):
        return deconvOutShape(inShape, self.size, self.stride, self.pad, self.dilation, self.postpad)

    def _makeGeometry(self, inShape):
        return Geometry(self._outShape(inShape), inShape, self.size, self.stride, self.pad, self.dilation)

    def _wgPad(self):
        return tuple(k - 1 - p for k, p in zip(self.size, self.pad))

    def _wgKernel(self, dtype):
        """The convolution a stride-1 Deconv is: W flipped, its maps swapped, (outmaps, inmaps, 3, 3)."""
        Wc = self._scratch("wgW", (self.outmaps, self.inmaps) + self.size, dtype)
        W = gpuarray.kernels.plain(self.vars["W"].data)
        xp.copyto(Wc, W.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
        return Wc

    def _wgKernelGrad(self, dU, dW):
        dWc = self._scratch("wgdW", (self.outmaps, self.inmaps) + self.size, dU.dtype)
        _winograd.weightGradient(dU, dWc)
        xp.copyto(dW, dWc.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
        return dW

    def updateData(self, data):
        self._wgTiles = self._winogradTiles(data)
        if self._wgTiles is not None:
            self._winogradForward(data)
            return
        N, C = data.shape[:2]
        O, K = self.outmaps, prod(self.size)
        geo = self._geometry(data.shape)

        xT = self._toGrid("xT", data, geo, keep=True)
        cols = workspace.array("cols", (O * K, N * geo.gridSize), data.dtype)
        self._matmulGroups(self.vars["W"].data.reshape(C, -1), xT, cols, transA=True)
        image = workspace.slot("image", geo.bufferSize(O * N), data.dtype)
        workspace.watch(geo)
        image[:geo.bufferSize(O * N)].fill(0)
        scatterColumns(cols, O, N, geo, image)

        out = self._buffer("data", (N, O) + self._outShape(data.shape[2:]), data.dtype)
        padded = image[:O * N * geo.plane].reshape((O, N) + geo.padded)
        if self.useBias:
            xp.add(padded[geo.interior].swapaxes(0, 1), self._biasView(), out=out)
        else:
            xp.copyto(out, padded[geo.interior].swapaxes(0, 1))
        self._xT = xT
        self.data = out

    def _gradCols(self, grad):
        """The kernel windows of the output gradient, (O * K, N * gridSize), once per backward."""
        if self._bwdCache is None:
            geo = self._geometry(self.inData.shape)
            N, O = grad.shape[:2]
            image = slotImage("image", grad, geo)
            cols = workspace.array("bwdcols", (O,) + self.size + (N,) + geo.grid, grad.dtype)
            gatherColumns(image, N, O, geo, cols)
            self._bwdCache = cols.reshape(O * prod(self.size), N * geo.gridSize)
        return self._bwdCache

    def updateGrad(self, grad):
        if self._wgTiles is not None:
            self._winogradInputGrad(grad)
            return
        x = self.inData
        N, C = x.shape[:2]
        geo = self._geometry(x.shape)
        gcols = self._gradCols(grad)
        res = workspace.array("res", (C, N * geo.gridSize), grad.dtype)
        self._matmulGroups(self.vars["W"].data.reshape(C, -1), gcols, res)
        out = self._buffer("grad", x.shape, grad.dtype)
        self._fromGrid(res, N, geo, out)
        self.grad = out

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        if self._wgTiles is not None:
            self._winogradParamGrads(grad, scale, momentum)
            return
        gcols = self._gradCols(grad)
        Wvar = self.vars["W"]
        dW = self._scratch("dW", (self.inmaps, gcols.shape[0] // self.groups), grad.dtype)
        self._matmulGroups(self._xT, gcols, dW, transB=True)
        self._accumulateParamGrad(Wvar, dW.reshape(Wvar.grad.shape), scale, momentum)
        if self.useBias:
            bvar = self.vars["b"]
            tmp = self._scratch("db", bvar.grad.shape, grad.dtype)
            xp.sum(grad, axis=(0,) + tuple(range(2, grad.ndim)), out=tmp.reshape(-1))
            self._accumulateParamGrad(bvar, tmp, scale, momentum)

    def checkDataShape(self, shape):
        self._checkShapeOf("data", shape, self.inmaps)
        outShape = self._outShape(shape[2:])
        if min(outShape) < 1:
            raise self._error("data of spatial size %s gives an empty output with size=%s, stride=%s, pad=%s "
                              "(shape %s)" % (tuple(shape[2:]), self.size, self.stride, self.pad, tuple(shape)))

    def checkGradShape(self, shape):
        self._checkShapeOf("gradient", shape, self.outmaps)
        super().checkGradShape(shape)

    def dataShapeFrom(self, shape):
        return (shape[0], self.outmaps) + self._outShape(shape[2:])

    def gradShapeFrom(self, shape):
        spatial = convOutShape(shape[2:], self.size, self.stride, self.pad, self.dilation)
        return (shape[0], self.inmaps) + spatial
