"""Upsample3D: enlarge (N, C, D, H, W) volumes by an integer factor (nearest or trilinear)."""
import itertools

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules._matmul import matmul
from PuzzleLib.Modules._upsample import UpsampleMode, _Upsample

xp = gpuarray.xp
_plain = gpuarray.kernels.plain


class Upsample3D(_Upsample):
    """Enlarges depth, height and width by ``scale``.

    Parameters
    ----------
    scale : int
        The factor for all three axes.
    mode : UpsampleMode or str
        "nearest" (each value becomes a scale**3 block) or "linear" (trilinear interpolation with
        half-pixel centres and clamped edges, as Upsample2D's bilinear mode on each axis).

    Shape
    -----
    (N, C, D, H, W) -> (N, C, D * scale, H * scale, W * scale).

    Example::

        >>> Upsample3D(2)(to_gpu(np.zeros((1, 2, 3, 4, 5), np.float32))).shape
        (1, 2, 6, 8, 10)
    """

    _ndim, _layout = 5, "(N, C, D, H, W)"

    def updateData(self, data):
        n, c, d, h, w = data.shape
        s = self.scale
        x = _plain(data)
        out, o = self._bufferPair("data", (n, c, d * s, h * s, w * s), data.dtype)
        if self.mode == "nearest":
            o.reshape(n, c, d, s, h, s, w, s)[...] = x.reshape(n, c, d, 1, h, 1, w, 1)
        else:
            md, mh, mw = self._matrices((d, h, w), data.dtype)
            t = matmul(mh, matmul(x, mw.T))                       # (n, c, d, H, W)
            matmul(md, t.reshape(n, c, d, -1), out=o.reshape(n, c, d * s, -1))
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
            md, mh, mw = self._matrices((d, h, w), grad.dtype)
            t = matmul(md.T, g.reshape(n, c, d * s, -1)).reshape(n, c, d, h * s, w * s)
            matmul(mh.T, matmul(t, mw), out=o)
        self.grad = out
