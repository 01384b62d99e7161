"""N-d max and average pooling shared by MaxPool1D/2D/3D and AvgPool1D/2D/3D (private).

Both loop over the kernel offsets (``prod(size)`` whole-array operations, 4 for a 2x2 pool), each
visiting one strided slice of the padded input; nothing loops over pixels.
"""
import itertools

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._conv import convOutShape, offsetSlices, padInto, prod, spatialTuple
from PuzzleLib.Modules._validate import ownerName

xp = gpuarray.xp


class PoolND(Module):
    """What max and average pooling share: geometry, checks, padded scratch buffers."""

    nd = 2

    def __init__(self, size=2, stride=2, pad=0, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.size = spatialTuple(owner, "size", size, self.nd, 1)
        self.stride = spatialTuple(owner, "stride", stride, self.nd, 1)
        self.pad = spatialTuple(owner, "pad", pad, self.nd, 0)
        for p, k in zip(self.pad, self.size):
            if p >= k:
                raise ModuleError("%s: pad must be smaller than size on each axis (so no window is all padding), "
                                  "got pad=%r, size=%r" % (owner, pad, size))
        self._dilation = (1,) * self.nd
        self._padBufs = {}

    def _offsets(self):
        return itertools.product(*(range(k) for k in self.size))

    def _outShape(self, inShape):
        return convOutShape(inShape, self.size, self.stride, self.pad, self._dilation)

    def _padShape(self, shape):
        return tuple(shape[:2]) + tuple(n + 2 * p for n, p in zip(shape[2:], self.pad))

    def _interior(self, shape):
        return (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(self.pad, shape[2:]))

    def _paddedInput(self, data, fillValue):
        """``data`` with its border filled with ``fillValue`` (``data`` itself when pad is 0)."""
        if not any(self.pad):
            return data
        shape = self._padShape(data.shape)
        k = (shape, xp.dtype(data.dtype), fillValue)
        buf = self._padBufs.get(k)
        if buf is None:
            buf = gpuarray.empty(shape, data.dtype)
            buf.fill(fillValue)
            self._padBufs[k] = buf
        return padInto(data, self.pad, buf)

    def _window(self, ary, offset, outShape):
        return ary[(slice(None), slice(None)) + offsetSlices(offset, self.stride, self._dilation, outShape)]

    def checkDataShape(self, shape):
        nd = self.nd
        if len(shape) != nd + 2:
            raise self._error("expected %d-d data (N, C, %s), got %d-d data of shape %s" % (
                nd + 2, ", ".join("S%d" % i for i in range(nd)) if nd > 1 else "L", len(shape), tuple(shape)))
        if min(self._outShape(shape[2:])) < 1:
            raise self._error("data of spatial size %s is too small for size=%s, pad=%s (shape %s)" % (
                tuple(shape[2:]), self.size, self.pad, tuple(shape)))

    def dataShapeFrom(self, shape):
        return tuple(shape[:2]) + self._outShape(shape[2:])

    def gradShapeFrom(self, shape):
        spatial = tuple((o - 1) * s - 2 * p + k for o, k, s, p in zip(shape[2:], self.size, self.stride, self.pad))
        return tuple(shape[:2]) + spatial

    def _extraRepr(self):
        def fmt(t):
            return str(t[0]) if len(set(t)) == 1 else str(t)
        extra = "size=%s, stride=%s" % (fmt(self.size), fmt(self.stride))
        if any(self.pad):
            extra += ", pad=%s" % fmt(self.pad)
        return extra


class MaxPoolND(PoolND):
    """Max pooling; the gradient goes to the first maximum of each window.

    With ``useMask`` the module keeps ``self.mask``: for each output element, the flat index
    (within its image plane, ``prod(S)`` elements) of the input element it was taken from. A
    MaxUnpool reads it.
    """

    def __init__(self, size=2, stride=2, pad=0, useMask=False, name=None):
        super().__init__(size, stride, pad, name)
        self.useMask = bool(useMask)
        self.mask = None

    def updateData(self, data):
        outShape = self._outShape(data.shape[2:])
        src = self._paddedInput(data, float("-inf"))
        out = self._buffer("data", tuple(data.shape[:2]) + outShape, data.dtype)
        idx = self._scratch("idx", out.shape, xp.int32)
        idx.fill(0)
        better = self._scratch("better", out.shape, xp.bool_)
        first = True
        for i, offset in enumerate(self._offsets()):
            win = self._window(src, offset, outShape)
            if first:
                xp.copyto(out, win)
                first = False
                continue
            xp.greater(win, out, out=better)
            xp.copyto(out, win, where=better)
            xp.copyto(idx, i, where=better)
        self._idx = idx
        if self.useMask:
            self.mask = self._flatIndices(idx, data.shape, outShape)
        self.data = out

    def _flatIndices(self, idx, inShape, outShape):
        """Window-offset indices -> flat indices into each (unpadded) input plane."""
        nd = self.nd
        flat = xp.zeros(idx.shape, dtype=xp.int32)
        rem = idx.astype(xp.int32)
        coords = []
        for axis in reversed(range(nd)):
            coords.append(rem % self.size[axis])
            rem = rem // self.size[axis]
        coords.reverse()
        for axis in range(nd):
            shape = [1] * (nd + 2)
            shape[2 + axis] = outShape[axis]
            base = (xp.arange(outShape[axis], dtype=xp.int32) * self.stride[axis] - self.pad[axis]).reshape(shape)
            flat *= inShape[2 + axis]
            flat += base + coords[axis]
        return flat

    def updateGrad(self, grad):
        x = self.inData
        outShape = grad.shape[2:]
        img = self._scratch("dxpad", self._padShape(x.shape), grad.dtype)
        img.fill(0)
        idx = self._idx
        sel = self._scratch("sel", grad.shape, grad.dtype)
        for i, offset in enumerate(self._offsets()):
            xp.multiply(grad, idx == i, out=sel)
            self._window(img, offset, outShape)[...] += sel
        out = self._buffer("grad", x.shape, grad.dtype)
        xp.copyto(out, img[self._interior(x.shape)])
        self.grad = out

    def _extraRepr(self):
        return super()._extraRepr() + (", useMask" if self.useMask else "")


class AvgPoolND(PoolND):
    """Average pooling. ``includePad`` divides every window by ``prod(size)``; otherwise by the
    number of real (non-padding) elements in it."""

    def __init__(self, size=2, stride=2, pad=0, includePad=True, name=None):
        super().__init__(size, stride, pad, name)
        self.includePad = bool(includePad)
        self._divisors = {}

    def _divisor(self, shape, dtype):
        """1 / (elements per window), broadcastable against the output."""
        outShape = self._outShape(shape[2:])
        if self.includePad or not any(self.pad):
            return 1.0 / prod(self.size)
        key = (tuple(shape[2:]), xp.dtype(dtype))
        inv = self._divisors.get(key)
        if inv is None:
            ones = gpuarray.zeros((1, 1) + self._padShape(shape)[2:], dtype)
            ones[self._interior((1, 1) + tuple(shape[2:]))] = 1
            count = gpuarray.zeros((1, 1) + outShape, dtype)
            for offset in self._offsets():
                count += self._window(ones, offset, outShape)
            inv = 1.0 / count
            self._divisors[key] = inv
        return inv

    def updateData(self, data):
        outShape = self._outShape(data.shape[2:])
        src = self._paddedInput(data, 0.0)
        out = self._buffer("data", tuple(data.shape[:2]) + outShape, data.dtype)
        out.fill(0)
        for offset in self._offsets():
            out += self._window(src, offset, outShape)
        out *= self._divisor(data.shape, data.dtype)
        self.data = out

    def updateGrad(self, grad):
        x = self.inData
        outShape = grad.shape[2:]
        img = self._scratch("dxpad", self._padShape(x.shape), grad.dtype)
        img.fill(0)
        scaled = self._scratch("scaled", grad.shape, grad.dtype)
        xp.multiply(grad, self._divisor(x.shape, grad.dtype), out=scaled)
        for offset in self._offsets():
            self._window(img, offset, outShape)[...] += scaled
        out = self._buffer("grad", x.shape, grad.dtype)
        xp.copyto(out, img[self._interior(x.shape)])
        self.grad = out

    def _extraRepr(self):
        return super()._extraRepr() + ("" if self.includePad else ", includePad=False")
