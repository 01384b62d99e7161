"""Upsample3D: enlarge (N, C, D, H, W) volumes by an integer factor (nearest or trilinear)."""
import itertools

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules.Upsample2D import MODES, _interpMatrix
from PuzzleLib.Modules._args import requireNdim
from PuzzleLib.Modules._validate import ownerName, positiveInt

xp = gpuarray.xp
_plain = gpuarray.kernels.plain


class Upsample3D(Module):
    """Enlarges depth, height and width by ``scale``.

    Parameters
    ----------
    scale : int
        The factor for all three axes.
    mode : str
        "nearest" (each value becomes a scale**3 block) or "linear" (trilinear interpolation with
        half-pixel centres and clamped edges, as Upsample2D's bilinear mode on each axis).

    Shape
    -----
    (N, C, D, H, W) -> (N, C, D * scale, H * scale, W * scale).

    Example::

        >>> Upsample3D(2)(to_gpu(np.zeros((1, 2, 3, 4, 5), np.float32))).shape
        (1, 2, 6, 8, 10)
    """

    def __init__(self, scale=2, mode="nearest", name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.scale = positiveInt(owner, "scale", scale)
        mode = getattr(mode, "value", mode)
        if mode not in MODES:
            raise ModuleError("%s: unknown mode %r; expected one of %s" % (owner, mode, ", ".join(MODES)))
        self.mode = mode
        self._mats = {}

    def _matrices(self, d, h, w, dtype):
        key = (d, h, w, xp.dtype(dtype).name)
        mats = self._mats.get(key)
        if mats is None:
            mats = tuple(_interpMatrix(size, self.scale, dtype) for size in (d, h, w))
            self._mats[key] = mats
        return mats

    def updateData(self, data):
        n, c, d, h, w = data.shape
        s = self.scale
        x = _plain(data)
        out, o = self._bufferPair("data", (n, c, d * s, h * s, w * s), data.dtype)
        if self.mode == "nearest":
            o.reshape(n, c, d, s, h, s, w, s)[...] = x.reshape(n, c, d, 1, h, 1, w, 1)
        else:
            md, mh, mw = self._matrices(d, h, w, data.dtype)
            t = xp.matmul(mh, xp.matmul(x, mw.T))                    # (n, c, d, H, W)
            xp.matmul(md, t.reshape(n, c, d, -1), out=o.reshape(n, c, d * s, -1))
        self.data = out

    def updateGrad(self, grad):
        n, c, d, h, w = self.inData.shape
        s = self.scale
        g = _plain(grad)
        out, o = self._bufferPair("grad", (n, c, d, h, w), grad.dtype)
        if self.mode == "nearest":
            # one add per offset inside a block: several times faster than a sum over 3 strided axes
            blocks = g.reshape(n, c, d, s, h, s, w, s)
            xp.copyto(o, blocks[:, :, :, 0, :, 0, :, 0])
            for i, j, k in itertools.product(range(s), repeat=3):
                if i or j or k:
                    o += blocks[:, :, :, i, :, j, :, k]
        else:
            md, mh, mw = self._matrices(d, h, w, grad.dtype)
            t = xp.matmul(md.T, g.reshape(n, c, d * s, -1)).reshape(n, c, d, h * s, w * s)
            xp.matmul(mh.T, xp.matmul(t, mw), out=o)
        self.grad = out

    def checkDataShape(self, shape):
        requireNdim(self, shape, 5, "(N, C, D, H, W)")

    def dataShapeFrom(self, shape):
        n, c, d, h, w = shape
        s = self.scale
        return (n, c, d * s, h * s, w * s)

    def gradShapeFrom(self, shape):
        n, c, d, h, w = shape
        s = self.scale
        return (n, c, d // s, h // s, w // s)

    def calcMode(self, dtype):
        super().calcMode(dtype)
        self._mats.clear()

    def _extraRepr(self):
        return "scale=%d, mode=%s" % (self.scale, self.mode)
