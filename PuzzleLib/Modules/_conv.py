"""N-d convolution shared by Conv1D/2D/3D and Deconv1D/2D/3D (private).

The math is written once for any number of spatial axes, on the backend's array namespace:

- ``im2col`` builds, from the (padded) input, a strided *view* of every kernel window and copies
  it once into a column matrix of layout ``(C, *K, N, *Out)``; a convolution is then one matrix
  product per group, ``W(O, C*K) @ cols(C*K, N*Out)``.
- ``col2im`` is the adjoint: it adds a column matrix back into an image by a loop over the kernel
  offsets (``prod(K)`` strided adds of whole arrays), never over pixels.

A transposed convolution (Deconv) is the adjoint of a convolution, so it reuses the same two
pieces with their roles swapped.
"""
import itertools
import numbers

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
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


def prod(values):
    result = 1
    for v in values:
        result *= v
    return result


# ---- the two building blocks ---------------------------------------------------------------------

def padInto(x, pad, buf):
    """Copy ``x`` (N, C, *S) into the interior of ``buf`` (N, C, *(S + 2 * pad)) whose border is zero."""
    interior = (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(pad, x.shape[2:]))
    buf[interior] = x
    return buf


def windowView(x, size, stride, dilation, outShape, channelsFirst=True):
    """A strided view of every kernel window of ``x`` (N, C, *S).

    With ``channelsFirst`` the view has shape ``(C, *K, N, *Out)`` (the column layout), else
    ``(N, C, *Out, *K)``. No data is copied.
    """
    sN, sC = x.strides[:2]
    sS = x.strides[2:]
    N, C = x.shape[:2]
    kStrides = tuple(s * d for s, d in zip(sS, dilation))
    oStrides = tuple(s * st for s, st in zip(sS, stride))
    if channelsFirst:
        shape = (C,) + tuple(size) + (N,) + tuple(outShape)
        strides = (sC,) + kStrides + (sN,) + oStrides
    else:
        shape = (N, C) + tuple(outShape) + tuple(size)
        strides = (sN, sC) + oStrides + kStrides
    return _asStrided(x, shape=shape, strides=strides, writeable=False)


def im2col(x, size, stride, dilation, outShape, cols):
    """Fill ``cols`` (C, *K, N, *Out) with the kernel windows of ``x`` (N, C, *S), already padded."""
    xp.copyto(cols, windowView(x, size, stride, dilation, outShape))
    return cols


def offsetSlices(offset, stride, dilation, outShape):
    """The strided slices of an image that kernel offset ``offset`` visits, one per spatial axis."""
    return tuple(slice(k * d, k * d + s * (o - 1) + 1, s) for k, s, d, o in zip(offset, stride, dilation, outShape))


def col2im(cols, size, stride, dilation, outShape, img):
    """Add ``cols`` (C, *K, N, *Out) into ``img`` (C, N, *S) (zeroed by the caller), offset by offset."""
    for offset in itertools.product(*(range(k) for k in size)):
        src = cols[(slice(None),) + offset]
        dst = img[(slice(None), slice(None)) + offsetSlices(offset, stride, dilation, outShape)]
        dst += src
    return img


# ---- a helper for zero-bordered scratch buffers -----------------------------------------------------

def zeroedScratch(mod, key, shape, dtype):
    """A private buffer of ``shape`` that starts as zeros; callers keep its padding border zero."""
    bufs = mod.__dict__.setdefault("_zeroBufs", {})
    k = (key, tuple(shape), xp.dtype(dtype))
    buf = bufs.get(k)
    if buf is None:
        buf = gpuarray.zeros(shape, dtype)
        bufs[k] = buf
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
        if self.useBias:
            self.setVar("b", Variable(gpuarray.zeros((1, self.outmaps) + (1,) * nd, self.calctype)))
        self._gT = None

    # -- the output gradient as (O, N * Out), computed once per backward call --
    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=0.0):
        self._gT = None
        try:
            return super().backward(grad, updParamGrads, updGrad, scale, momentum)
        finally:
            self._gT = None

    def _channelsFirst(self, key, ary):
        """``ary`` (N, C, *S) copied to a private (C, N * prod(S)) buffer (cached for this backward)."""
        if self._gT is not None and self._gT[0] is ary:
            return self._gT[1]
        N, C = ary.shape[:2]
        rest = prod(ary.shape[2:])
        out = self._scratch(key, (C, N * rest), ary.dtype)
        xp.copyto(out.reshape(C, N, rest), ary.reshape(N, C, rest).transpose(1, 0, 2))
        self._gT = (ary, out)
        return out

    def _addBiasGrad(self, grad, gT, scale, momentum):
        bvar = self.vars["b"]
        tmp = self._scratch("db", bvar.grad.shape, grad.dtype)
        xp.sum(gT, axis=1, out=tmp.reshape(-1))
        gpuarray.kernels.accumulate(bvar.grad, tmp, scale, momentum)

    # -- checks --
    def _spatialLabel(self):
        return ", ".join("HW"[i] if self.nd == 2 else ("DHW"[i] if self.nd == 3 else "L") for i in range(self.nd))

    def _checkShapeOf(self, what, shape, maps):
        nd = self.nd
        if len(shape) != nd + 2:
            raise self._error("expected %d-d %s (N, %d, %s), got %d-d %s of shape %s" % (
                nd + 2, what, maps, self._spatialLabel(), len(shape), what, tuple(shape)))
        if shape[1] != maps:
            raise self._error("expected %s with %d maps, shape (N, %d, %s), got %s" % (
                what, maps, maps, self._spatialLabel(), tuple(shape)))

    def _extraRepr(self):
        def fmt(t):
            return str(t[0]) if len(set(t)) == 1 else str(t)
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

    ``W`` has shape ``(outmaps, inmaps // groups, *size)``, ``b`` ``(1, outmaps, 1, ...)``; the
    output has ``(S + 2 * pad - dilation * (size - 1) - 1) // stride + 1`` positions per axis.
    """

    def __init__(self, inmaps, outmaps, size, stride=1, pad=0, dilation=1, wscale=1.0, useBias=True, name=None,
                 initscheme=None, empty=False, groups=1):
        super().__init__(inmaps, outmaps, size, stride, pad, dilation, wscale, useBias, name, initscheme, empty,
                         groups)

    def _wshape(self):
        k = prod(self.size)
        wshape = (self.outmaps, self.inmaps // self.groups) + self.size
        return wshape, (self.inmaps // self.groups) * k, self.outmaps * k

    def _padded(self, data):
        if not any(self.pad):
            return data
        shape = data.shape[:2] + tuple(n + 2 * p for n, p in zip(data.shape[2:], self.pad))
        return padInto(data, self.pad, zeroedScratch(self, "xpad", shape, data.dtype))

    def updateData(self, data):
        N, C = data.shape[:2]
        O, G = self.outmaps, self.groups
        outShape = convOutShape(data.shape[2:], self.size, self.stride, self.pad, self.dilation)
        K, P = prod(self.size), prod(outShape)

        cols = self._scratch("cols", (C,) + self.size + (N,) + outShape, data.dtype)
        im2col(self._padded(data), self.size, self.stride, self.dilation, outShape, cols)
        colsm = cols.reshape(C * K, N * P)
        Wm = self.vars["W"].data.reshape(O, (C // G) * K)

        res = self._scratch("res", (O, N * P), data.dtype)
        og, ck = O // G, (C // G) * K
        for g in range(G):
            xp.matmul(Wm[g * og:(g + 1) * og], colsm[g * ck:(g + 1) * ck], out=res[g * og:(g + 1) * og])

        out = self._buffer("data", (N, O) + outShape, data.dtype)
        resT = res.reshape(O, N, P).transpose(1, 0, 2)
        if self.useBias:
            xp.add(resT, self.vars["b"].data.reshape(1, O, 1), out=out.reshape(N, O, P))
        else:
            xp.copyto(out.reshape(N, O, P), resT)
        self._cols = cols
        self.data = out

    def updateGrad(self, grad):
        x = self.inData
        N, C = x.shape[:2]
        O, G = self.outmaps, self.groups
        outShape = grad.shape[2:]
        K = prod(self.size)
        gT = self._channelsFirst("gT", grad)
        Wm = self.vars["W"].data.reshape(O, (C // G) * K)

        dcols = self._scratch("dcols", (C,) + self.size + (N,) + tuple(outShape), grad.dtype)
        dcolsm = dcols.reshape(C * K, -1)
        og, ck = O // G, (C // G) * K
        for g in range(G):
            xp.matmul(Wm[g * og:(g + 1) * og].T, gT[g * og:(g + 1) * og], out=dcolsm[g * ck:(g + 1) * ck])

        padShape = tuple(n + 2 * p for n, p in zip(x.shape[2:], self.pad))
        img = self._scratch("dxpad", (C, N) + padShape, grad.dtype)
        img.fill(0)
        col2im(dcols, self.size, self.stride, self.dilation, outShape, img)

        out = self._buffer("grad", x.shape, grad.dtype)
        interior = (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(self.pad, x.shape[2:]))
        xp.copyto(out, img[interior].swapaxes(0, 1))
        self.grad = out

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        x = self.inData
        C = x.shape[1]
        O, G = self.outmaps, self.groups
        K = prod(self.size)
        gT = self._channelsFirst("gT", grad)
        colsm = self._cols.reshape(C * K, -1)

        Wvar = self.vars["W"]
        og, ck = O // G, (C // G) * K
        dW = self._scratch("dW", (O, ck), grad.dtype)
        for g in range(G):
            xp.matmul(gT[g * og:(g + 1) * og], colsm[g * ck:(g + 1) * ck].T, out=dW[g * og:(g + 1) * og])
        gpuarray.kernels.accumulate(Wvar.grad, dW.reshape(Wvar.grad.shape), scale, momentum)
        if self.useBias:
            self._addBiasGrad(grad, gT, scale, momentum)

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

    ``W`` has shape ``(inmaps, outmaps // groups, *size)``, ``b`` ``(1, outmaps, 1, ...)``; the
    output has ``(S - 1) * stride - 2 * pad + dilation * (size - 1) + 1 + postpad`` positions.
    """

    def __init__(self, inmaps, outmaps, size, stride=1, pad=0, dilation=1, postpad=0, wscale=1.0, useBias=True,
                 name=None, initscheme=None, empty=False, groups=1):
        super().__init__(inmaps, outmaps, size, stride, pad, dilation, wscale, useBias, name, initscheme, empty,
                         groups, postpad=postpad)

    def _wshape(self):
        k = prod(self.size)
        wshape = (self.inmaps, self.outmaps // self.groups) + self.size
        return wshape, (self.inmaps // self.groups) * k, self.outmaps * k

    def _outShape(self, inShape):
        return deconvOutShape(inShape, self.size, self.stride, self.pad, self.dilation, self.postpad)

    def updateData(self, data):
        N, C = data.shape[:2]
        O, G = self.outmaps, self.groups
        inShape = data.shape[2:]
        outShape = self._outShape(inShape)
        K, P = prod(self.size), prod(inShape)

        xT = self._scratch("xT", (C, N * P), data.dtype)
        xp.copyto(xT.reshape(C, N, P), data.reshape(N, C, P).transpose(1, 0, 2))
        Wm = self.vars["W"].data.reshape(C, (O // G) * K)

        cols = self._scratch("cols", (O,) + self.size + (N,) + tuple(inShape), data.dtype)
        colsm = cols.reshape(O * K, N * P)
        cg, ok = C // G, (O // G) * K
        for g in range(G):
            xp.matmul(Wm[g * cg:(g + 1) * cg].T, xT[g * cg:(g + 1) * cg], out=colsm[g * ok:(g + 1) * ok])

        padShape = tuple(n + 2 * p for n, p in zip(outShape, self.pad))
        img = self._scratch("ypad", (O, N) + padShape, data.dtype)
        img.fill(0)
        col2im(cols, self.size, self.stride, self.dilation, inShape, img)

        out = self._buffer("data", (N, O) + outShape, data.dtype)
        interior = (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(self.pad, outShape))
        if self.useBias:
            xp.add(img[interior].swapaxes(0, 1), self.vars["b"].data, out=out)
        else:
            xp.copyto(out, img[interior].swapaxes(0, 1))
        self._xT = xT
        self.data = out

    def _gradCols(self, grad):
        """The kernel windows of the output gradient, (O * K, N * In), computed once per backward."""
        if self._gT is not None and self._gT[0] is grad:
            return self._gT[1]
        inShape = self.inData.shape[2:]
        N = grad.shape[0]
        if any(self.pad):
            shape = grad.shape[:2] + tuple(n + 2 * p for n, p in zip(grad.shape[2:], self.pad))
            src = padInto(grad, self.pad, zeroedScratch(self, "gpad", shape, grad.dtype))
        else:
            src = grad
        cols = self._scratch("gcols", (self.outmaps,) + self.size + (N,) + tuple(inShape), grad.dtype)
        im2col(src, self.size, self.stride, self.dilation, inShape, cols)
        colsm = cols.reshape(self.outmaps * prod(self.size), -1)
        self._gT = (grad, colsm)
        return colsm

    def updateGrad(self, grad):
        x = self.inData
        N, C = x.shape[:2]
        O, G = self.outmaps, self.groups
        P = prod(x.shape[2:])
        K = prod(self.size)
        colsm = self._gradCols(grad)
        Wm = self.vars["W"].data.reshape(C, (O // G) * K)

        res = self._scratch("res", (C, N * P), grad.dtype)
        cg, ok = C // G, (O // G) * K
        for g in range(G):
            xp.matmul(Wm[g * cg:(g + 1) * cg], colsm[g * ok:(g + 1) * ok], out=res[g * cg:(g + 1) * cg])
        out = self._buffer("grad", x.shape, grad.dtype)
        xp.copyto(out.reshape(N, C, P), res.reshape(C, N, P).transpose(1, 0, 2))
        self.grad = out

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        C = self.inmaps
        O, G = self.outmaps, self.groups
        K = prod(self.size)
        colsm = self._gradCols(grad)
        xT = self._xT

        Wvar = self.vars["W"]
        cg, ok = C // G, (O // G) * K
        dW = self._scratch("dW", (C, ok), grad.dtype)
        for g in range(G):
            xp.matmul(xT[g * cg:(g + 1) * cg], colsm[g * ok:(g + 1) * ok].T, out=dW[g * cg:(g + 1) * cg])
        gpuarray.kernels.accumulate(Wvar.grad, dW.reshape(Wvar.grad.shape), scale, momentum)
        if self.useBias:
            bvar = self.vars["b"]
            tmp = self._scratch("db", bvar.grad.shape, grad.dtype)
            xp.sum(grad, axis=(0,) + tuple(range(2, grad.ndim)), out=tmp.reshape(-1))
            gpuarray.kernels.accumulate(bvar.grad, tmp, scale, momentum)

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
