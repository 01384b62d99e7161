"""Upsample2D: enlarge (N, C, H, W) maps by an integer factor (nearest or bilinear)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireNdim
from PuzzleLib.Modules._validate import ownerName, positiveInt

xp = gpuarray.xp

MODES = ("nearest", "linear")


def _interpMatrix(size, scale, dtype):
    """(size * scale, size) matrix of bilinear weights, half-pixel centres, edges clamped."""
    dst = xp.arange(size * scale, dtype=xp.float64)
    src = xp.clip((dst + 0.5) / scale - 0.5, 0.0, size - 1)
    i0 = xp.floor(src).astype(xp.int64)
    i1 = xp.minimum(i0 + 1, size - 1)
    lam = src - i0
    cols = xp.arange(size).reshape(1, size)
    m = (cols == i0.reshape(-1, 1)) * (1.0 - lam).reshape(-1, 1) + (cols == i1.reshape(-1, 1)) * lam.reshape(-1, 1)
    return m.astype(dtype)


class Upsample2D(Module):
    """Enlarges height and width by ``scale``.

    Parameters
    ----------
    scale : int
        The factor for both axes.
    mode : str
        "nearest" (each value becomes a scale x scale block) or "linear" (bilinear
        interpolation with half-pixel centres and clamped edges, like PyTorch's
        ``align_corners=False``).

    Shape
    -----
    (N, C, H, W) -> (N, C, H * scale, W * scale).

    Example::

        >>> Upsample2D(2)(to_gpu(np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2))).get()[0, 0]
        array([[0., 0., 1., 1.],
               [0., 0., 1., 1.],
               [2., 2., 3., 3.],
               [2., 2., 3., 3.]], dtype=float32)
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

    def _matrices(self, h, w, dtype):
        key = (h, w, xp.dtype(dtype).name)
        mats = self._mats.get(key)
        if mats is None:
            mats = (_interpMatrix(h, self.scale, dtype), _interpMatrix(w, self.scale, dtype))
            self._mats[key] = mats
        return mats

    def updateData(self, data):
        n, c, h, w = data.shape
        s = self.scale
        out = self._buffer("data", (n, c, h * s, w * s), data.dtype)
        if self.mode == "nearest":
            out.reshape(n, c, h, s, w, s)[...] = data.reshape(n, c, h, 1, w, 1)
        else:
            mh, mw = self._matrices(h, w, data.dtype)
            xp.matmul(mh, xp.matmul(data, mw.T), out=out)
        self.data = out

    def updateGrad(self, grad):
        n, c, h, w = self.inData.shape
        s = self.scale
        out = self._buffer("grad", (n, c, h, w), grad.dtype)
        if self.mode == "nearest":
            xp.sum(grad.reshape(n, c, h, s, w, s), axis=(3, 5), out=out)
        else:
            mh, mw = self._matrices(h, w, grad.dtype)
            xp.matmul(mh.T, xp.matmul(grad, mw), out=out)
        self.grad = out

    def checkDataShape(self, shape):
        requireNdim(self, shape, 4, "(N, C, H, W)")

    def dataShapeFrom(self, shape):
        n, c, h, w = shape
        return (n, c, h * self.scale, w * self.scale)

    def gradShapeFrom(self, shape):
        n, c, h, w = shape
        return (n, c, h // self.scale, w // self.scale)

    def calcMode(self, dtype):
        super().calcMode(dtype)
        self._mats.clear()

    def _extraRepr(self):
        return "scale=%d, mode=%s" % (self.scale, self.mode)
