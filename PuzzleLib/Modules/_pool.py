"""N-d max and average pooling shared by MaxPool1D/2D/3D and AvgPool1D/2D/3D (private).

The windows of the (padded) input are copied once, through a strided view, into a (K, M) matrix
(K = window elements, M = output positions of every sample and channel), so the reductions run
over contiguous rows; the backward pass adds K rows back into the image by strided whole-array
adds (one assignment when windows do not overlap). The index arithmetic is the convolution's
(``_conv.Geometry``); nothing loops over pixels.
"""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._conv import (Geometry, _strided, convOutShape, dropShapeCaches, gridBuffer,
                                     paddedImage, prod, spatialLabel, spatialRepr, spatialTuple, stridedView)
from PuzzleLib.Modules._validate import ownerName

xp = gpuarray.xp


class PoolND(Module):
    """What max and average pooling share: geometry, checks, window gathering and scattering."""

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
        self._geos = {}

    def calcMode(self, dtype):
        super().calcMode(dtype)
        dropShapeCaches(self)
        self._win = self._best = self._idx = self._tileBest = None

    def _outShape(self, inShape):
        return convOutShape(inShape, self.size, self.stride, self.pad, self._dilation)

    def _geometry(self, shape):
        geo = self._geos.get(tuple(shape))
        if geo is None:
            inShape = tuple(shape[2:])
            geo = Geometry(inShape, self._outShape(inShape), self.size, self.stride, self.pad, self._dilation)
            self._geos[tuple(shape)] = geo
        return geo

    def _windows(self, data, geo, fillValue):
        """The windows of ``data`` as a (K, N * C * gridSize) matrix (kept for the backward pass)."""
        N, C = data.shape[:2]
        image = paddedImage(self, "x", data, geo, fillValue)
        K = prod(self.size)
        win = self._buffer("win", (K, N * C * geo.gridSize), data.dtype)  # per call: kept for backward
        view = stridedView(geo, image, self.size + (N * C,) + geo.grid,
                           geo.kernelStrides + (geo.plane,) + geo.gridStrides)
        xp.copyto(win.reshape(view.shape), view)
        return win

    def _cropped(self, ext, shape, geo):
        """The valid (N, C, *out) part of a (N * C * gridSize,) vector over the grid."""
        return ext.reshape(tuple(shape[:2]) + geo.grid)[geo.valid]

    def _gridGrad(self, grad, geo, scale=None):
        """``grad`` (times ``scale``) spread on the grid, zero at garbage positions, flat."""
        N, C = grad.shape[:2]
        buf = gridBuffer(self, "g", N, C, geo, grad.dtype)
        if scale is None:
            xp.copyto(buf[geo.valid], grad)
        else:
            xp.multiply(grad, scale, out=buf[geo.valid])
        return buf.reshape(-1)

    def _scatter(self, rows, geo, shape, dtype):
        """Add ``rows`` (K rows over the grid; one row broadcast to all K when 1-d) back into an
        image and return the input gradient (N, C, *S)."""
        N, C = shape[:2]
        NC = N * C
        image = self._scratch("dx", (geo.bufferSize(NC),), dtype)
        image.fill(0)
        gridShape = (NC,) + geo.grid
        if not geo.overlap:
            view = stridedView(geo, image, self.size + gridShape, geo.kernelStrides + (geo.plane,) + geo.gridStrides)
            view[...] = rows.reshape(((1,) * self.nd if rows.ndim == 1 else self.size) + gridShape)
        else:
            strides = (geo.plane,) + geo.gridStrides
            for j, off in enumerate(geo.offsets):
                dst = stridedView(geo, image, gridShape, strides, off)
                dst += (rows if rows.ndim == 1 else rows[j]).reshape(gridShape)
        out = self._buffer("grad", tuple(shape), dtype)
        xp.copyto(out, image[:NC * geo.plane].reshape((N, C) + geo.padded)[geo.interior])
        return out

    def checkDataShape(self, shape):
        nd = self.nd
        if len(shape) != nd + 2:
            raise self._error("expected %d-d data (N, C, %s), got %d-d data of shape %s" % (
                nd + 2, spatialLabel(nd), len(shape), tuple(shape)))
        if min(self._outShape(shape[2:])) < 1:
            raise self._error("data of spatial size %s is too small for size=%s, pad=%s (shape %s)" % (
                tuple(shape[2:]), self.size, self.pad, tuple(shape)))

    def dataShapeFrom(self, shape):
        return tuple(shape[:2]) + self._outShape(shape[2:])

    def gradShapeFrom(self, shape):
        spatial = tuple((o - 1) * s - 2 * p + k for o, k, s, p in zip(shape[2:], self.size, self.stride, self.pad))
        return tuple(shape[:2]) + spatial

    def _extraRepr(self):
        fmt = spatialRepr
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
        self._idx = self._tileBest = None  # what the 2x2 stride-2 paths keep for the backward pass

    def _tiled2x2(self):
        """Whether the windows are 2x2 at stride 2 without padding (the common pooling of conv
        nets), which tile the input: no window matrix, no scatter (without a mask)."""
        return self.nd == 2 and not self.useMask and self.size == (2, 2) and self.stride == (2, 2) and not any(self.pad)

    @staticmethod
    def _tiles(a):
        """The (N, C, H/2, 2, W/2, 2) view of an (N, C, H, W) array's whole 2x2 tiles (a last odd row
        or column left out)."""
        N, C, H, W = a.shape
        return a[:, :, :H - H % 2, :W - W % 2].reshape(N, C, H // 2, 2, W // 2, 2)

    def updateData(self, data):
        self._idx = self._tileBest = None
        if self._tiled2x2():
            shape = tuple(data.shape[:2]) + self._outShape(data.shape[2:])
            out = self._buffer("data", shape, data.dtype)
            fused = gpuarray.kernels.fusedKernel("maxPool2x2", data)
            if fused is not None:
                idx = self._buffer("idx", shape, xp.int8)  # per call: kept for backward
                plain = gpuarray.kernels.plain
                fused(data.shape[0], plain(data), plain(out), plain(idx))
                self._idx = idx
            else:
                # three maximum passes over strided views of the four window corners (NaN
                # propagates as through np.max); the maxima kept for the backward pass
                best = self._buffer("best", shape, data.dtype)
                t = self._tiles(data)
                xp.maximum(t[:, :, :, 0, :, 0], t[:, :, :, 0, :, 1], out=best)
                xp.maximum(best, t[:, :, :, 1, :, 0], out=best)
                xp.maximum(best, t[:, :, :, 1, :, 1], out=best)
                xp.copyto(out, best)
                self._tileBest = best
            self._win = self._best = None
            self.data = out
            return
        geo = self._geometry(data.shape)
        win = self._windows(data, geo, float("-inf"))
        best = self._buffer("best", (win.shape[1],), data.dtype)
        xp.max(win, axis=0, out=best)
        out = self._buffer("data", tuple(data.shape[:2]) + geo.out, data.dtype)
        xp.copyto(out, self._cropped(best, data.shape, geo))
        self._win, self._best = win, best
        if self.useMask:
            self.mask = self._flatIndices(self._cropped(self._firstMax(), data.shape, geo), data.shape, geo.out)
        self.data = out

    def _firstMax(self):
        """Index (0..K-1) of the first maximum of each window, over the grid."""
        win, best = self._win, self._best
        idx = gpuarray.zeros(best.shape, xp.int32)
        # each k as a 0-d device array: CuPy 13 before cupy/cupy#8430 refuses a Python int source
        # under NumPy 2 (its copyto checks it with numpy.can_cast)
        ks = xp.arange(win.shape[0], dtype=xp.int32)
        for k in range(win.shape[0] - 1, -1, -1):
            xp.copyto(idx, ks[k], where=win[k] == best)
        return idx

    def _flatIndices(self, idx, inShape, outShape):
        """Window-offset indices -> flat indices into each (unpadded) input plane."""
        nd = self.nd
        flat = gpuarray.zeros(idx.shape, xp.int32)
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
            # a tap in the padding wins only where the window's real elements are all -inf too; every
            # window reaches into the data (pad < size), so the clipped coordinate is one of those
            coord = xp.clip(base + coords[axis], 0, inShape[2 + axis] - 1)
            flat *= inShape[2 + axis]
            flat += coord
        return flat

    def updateGrad(self, grad):
        x = self.inData
        if self._idx is not None:
            out = self._buffer("grad", tuple(x.shape), grad.dtype)
            plain = gpuarray.kernels.plain
            gpuarray.kernels.fusedKernel("maxPool2x2Backward", out)(
                x.shape[0], xp.ascontiguousarray(plain(grad)), plain(self._idx), plain(out))
            self.grad = out
            return
        if self._tileBest is not None:
            self.grad = self._tilesGrad(x, grad, self._tileBest)
            return
        geo = self._geometry(x.shape)
        g = self._gridGrad(grad, geo)
        win, best = self._win, self._best
        M = best.shape[0]
        taken = self._scratch("taken", (M,), xp.bool_)
        taken.fill(False)
        eq = self._scratch("eq", (M,), xp.bool_)
        rows = self._scratch("rows", win.shape, grad.dtype)
        for k in range(win.shape[0]):
            xp.equal(win[k], best, out=eq)
            xp.greater(eq, taken, out=eq)
            xp.logical_or(taken, eq, out=taken)
            xp.multiply(g, eq, out=rows[k])
        self.grad = self._scatter(rows, geo, x.shape, grad.dtype)

    def _tilesGrad(self, x, grad, best):
        """The input gradient of 2x2 stride-2 pooling: each window's gradient written, through a
        strided view, on its first corner equal to the maximum (row-major), zeros elsewhere."""
        out = self._buffer("grad", tuple(x.shape), grad.dtype)
        if x.shape[2] % 2 or x.shape[3] % 2:
            out.fill(0)  # the last odd row or column is in no window
        t, d = self._tiles(x), self._tiles(out)
        taken = self._scratch("taken", best.shape, xp.bool_)
        taken.fill(False)
        eq = self._scratch("eq", best.shape, xp.bool_)
        for k, (a, b) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
            xp.equal(t[:, :, :, a, :, b], best, out=eq)
            if k:
                xp.greater(eq, taken, out=eq)  # equal and no earlier corner taken
            if k < 3:
                xp.logical_or(taken, eq, out=taken)
            xp.multiply(grad, eq, out=d[:, :, :, a, :, b])
        return out

    def _extraRepr(self):
        return super()._extraRepr() + (", useMask" if self.useMask else "")


class AvgPoolND(PoolND):
    """Average pooling. ``includePad`` divides every window by ``prod(size)``; otherwise by the
    number of real (non-padding) elements in it."""

    def __init__(self, size=2, stride=2, pad=0, includePad=True, name=None):
        super().__init__(size, stride, pad, name)
        self.includePad = bool(includePad)
        self._divisors = {}

    def calcMode(self, dtype):
        super().calcMode(dtype)
        self._divisors.clear()

    def _divisor(self, shape, dtype):
        """1 / (elements per window): a number, or an array broadcastable against the output."""
        if self.includePad or not any(self.pad):
            return 1.0 / prod(self.size)
        key = (tuple(shape[2:]), xp.dtype(dtype))
        inv = self._divisors.get(key)
        if inv is None:
            oneShape = (1, 1) + tuple(shape[2:])
            geo = Geometry(oneShape[2:], self._outShape(oneShape[2:]), self.size, self.stride, self.pad,
                           self._dilation)
            ones = gpuarray.empty(oneShape, dtype)
            ones.fill(1)
            image = gpuarray.zeros((geo.bufferSize(1),), dtype)
            image[:geo.plane].reshape((1, 1) + geo.padded)[geo.interior] = ones
            view = _strided(image, self.size + (1,) + geo.grid, geo.kernelStrides + (geo.plane,) + geo.gridStrides)
            count = view.sum(axis=tuple(range(self.nd)))
            inv = 1.0 / count.reshape((1, 1) + geo.grid)[geo.valid]
            self._divisors[key] = inv
        return inv

    def updateData(self, data):
        geo = self._geometry(data.shape)
        win = self._windows(data, geo, 0.0)
        total = self._scratch("total", (win.shape[1],), data.dtype)
        xp.sum(win, axis=0, out=total)
        out = self._buffer("data", tuple(data.shape[:2]) + geo.out, data.dtype)
        xp.multiply(self._cropped(total, data.shape, geo), self._divisor(data.shape, data.dtype), out=out)
        self.data = out

    def updateGrad(self, grad):
        x = self.inData
        geo = self._geometry(x.shape)
        g = self._gridGrad(grad, geo, self._divisor(x.shape, grad.dtype))
        self.grad = self._scatter(g, geo, x.shape, grad.dtype)

    def _extraRepr(self):
        return super()._extraRepr() + ("" if self.includePad else ", includePad=False")
