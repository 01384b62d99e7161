"""SpatialTf: a spatial transformer's sampler (affine grid + bilinear sampling)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._matmul import matmul
from PuzzleLib.Modules._validate import ownerName, positiveInt

xp = gpuarray.xp
kernels = gpuarray.kernels


class SpatialTf(Module):
    """Warp maps by per-sample affine transforms (Jaderberg et al., 2015,
    https://arxiv.org/abs/1506.02025).

    Takes ``[data, transform]``: maps (N, C, H, W) and affine matrices (N, 2, 3). Each output
    pixel, at normalised coordinates ``(x, y)`` in [-1, 1] (corners on the corner pixels' centres),
    reads the input at ``transform @ (x, y, 1)`` by bilinear interpolation; points outside the
    input read zeros. Backward gives ``[grad of data, grad of transform]``.
    It matches PyTorch's ``affine_grid`` + ``grid_sample`` with ``align_corners=True`` (zeros padding).

    Parameters
    ----------
    shape : (outH, outW), optional
        Output size; the input's (H, W) by default.

    Shape
    -----
    [(N, C, H, W), (N, 2, 3)] -> (N, C, outH, outW).

    Example::

        >>> identity = np.tile(np.array([[1, 0, 0], [0, 1, 0]], np.float32), (2, 1, 1))
        >>> SpatialTf()([to_gpu(np.zeros((2, 3, 4, 4), np.float32)), to_gpu(identity)]).shape
        (2, 3, 4, 4)
    """

    def __init__(self, shape=None, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        if shape is not None:
            if not isinstance(shape, (list, tuple)) or len(shape) != 2:
                raise ModuleError("%s: shape must be (outH, outW) or None, got %r" % (owner, shape))
            shape = (positiveInt(owner, "shape[0]", shape[0]), positiveInt(owner, "shape[1]", shape[1]))
        self.shape = shape
        self._cache = None

    def checkDataShape(self, shape):
        if not isinstance(shape, list) or len(shape) != 2:
            raise self._error("expected a list [maps (N, C, H, W), transforms (N, 2, 3)], got %s" % (shape,))
        maps, tf = shape
        if len(maps) != 4 or tuple(tf) != (maps[0], 2, 3):
            raise self._error("expected maps (N, C, H, W) and transforms (N, 2, 3), got %s and %s" % (tuple(maps), tuple(tf)))

    def dataShapeFrom(self, shape):
        maps = shape[0]
        outH, outW = self.shape if self.shape is not None else maps[2:]
        return (maps[0], maps[1], outH, outW)

    def gradShapeFrom(self, shape):
        if self.inData is None:
            raise self._error("gradShapeFrom needs the input size: run a forward pass first")
        return [tuple(self.inData[0].shape), tuple(self.inData[1].shape)]

    def _grid(self, outH, outW, dtype):
        ys = xp.linspace(-1.0, 1.0, outH) if outH > 1 else xp.zeros(1)
        xs = xp.linspace(-1.0, 1.0, outW) if outW > 1 else xp.zeros(1)
        gy, gx = xp.meshgrid(ys, xs, indexing="ij")
        return xp.stack([gx.reshape(-1), gy.reshape(-1), xp.ones(outH * outW)]).astype(dtype)   # (3, P)

    def updateData(self, data):
        maps, tf = data
        N, C, H, W = maps.shape
        outH, outW = self.shape if self.shape is not None else (H, W)
        grid = self._grid(outH, outW, maps.dtype)
        src = matmul(tf, grid)                                       # (N, 2, P)
        px = (src[:, 0] + 1) * ((W - 1) / 2.0)
        py = (src[:, 1] + 1) * ((H - 1) / 2.0)
        x0, y0 = xp.floor(px), xp.floor(py)
        wx, wy = px - x0, py - y0
        x0, y0 = x0.astype(xp.int64), y0.astype(xp.int64)
        flat = maps.reshape(N, C, H * W)
        corners = []
        for dy, dx, w in ((0, 0, (1 - wy) * (1 - wx)), (0, 1, (1 - wy) * wx), (1, 0, wy * (1 - wx)), (1, 1, wy * wx)):
            xi, yi = x0 + dx, y0 + dy
            valid = (xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)
            idx = xp.where(valid, yi * W + xi, 0)                   # (N, P)
            vals = xp.take_along_axis(flat, xp.broadcast_to(idx[:, None, :], (N, C, idx.shape[1])), axis=2)
            vals = vals * valid[:, None, :]
            corners.append((idx, valid, w, vals))
        out = sum(w[:, None, :] * vals for _, _, w, vals in corners)
        self._cache = (grid, wx, wy, corners, (outH, outW))
        self.data = gpuarray.asDevice(xp.ascontiguousarray(out.reshape(N, C, outH, outW)))

    def updateGrad(self, grad):
        maps, tf = self.inData
        N, C, H, W = maps.shape
        grid, wx, wy, corners, (outH, outW) = self._cache
        g = grad.reshape(N, C, outH * outW)

        dmaps = xp.zeros(N * C * H * W, dtype=maps.dtype)
        base = (xp.arange(N * C, dtype=xp.int64) * (H * W)).reshape(N, C, 1)
        for idx, valid, w, _ in corners:
            contrib = g * (w * valid)[:, None, :]
            kernels.scatterAdd(dmaps, (base + idx[:, None, :]).reshape(-1), contrib.reshape(-1))

        (_, _, _, v00), (_, _, _, v01), (_, _, _, v10), (_, _, _, v11) = corners
        dvx = (1 - wy)[:, None, :] * (v01 - v00) + wy[:, None, :] * (v11 - v10)
        dvy = (1 - wx)[:, None, :] * (v10 - v00) + wx[:, None, :] * (v11 - v01)
        gpx = (g * dvx).sum(axis=1) * ((W - 1) / 2.0)                # (N, P)
        gpy = (g * dvy).sum(axis=1) * ((H - 1) / 2.0)
        dtf = matmul(xp.stack([gpx, gpy], axis=1), grid.T)           # (N, 2, 3)
        self.grad = [gpuarray.asDevice(dmaps.reshape(N, C, H, W)),
                     gpuarray.asDevice(xp.ascontiguousarray(dtf.astype(tf.dtype)))]

    def _extraRepr(self):
        return "" if self.shape is None else "shape=%s" % (self.shape,)
