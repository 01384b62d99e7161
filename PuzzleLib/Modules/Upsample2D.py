"""Upsample2D: enlarge (N, C, H, W) maps by an integer factor (nearest or bilinear)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules._matmul import matmul
from PuzzleLib.Modules._upsample import UpsampleMode, _Upsample

xp = gpuarray.xp


class Upsample2D(_Upsample):
    """Enlarges height and width by ``scale``.

    Parameters
    ----------
    scale : int
        The factor for both axes.
    mode : UpsampleMode or str
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

    _ndim, _layout = 4, "(N, C, H, W)"

    def updateData(self, data):
        n, c, h, w = data.shape
        s = self.scale
        out = self._buffer("data", (n, c, h * s, w * s), data.dtype)
        if self.mode == "nearest":
            out.reshape(n, c, h, s, w, s)[...] = data.reshape(n, c, h, 1, w, 1)
        else:
            mh, mw = self._matrices((h, w), data.dtype)
            matmul(mh, matmul(data, mw.T), out=out)
        self.data = out

    def updateGrad(self, grad):
        n, c, h, w = self.inData.shape
        s = self.scale
        out = self._buffer("grad", (n, c, h, w), grad.dtype)
        if self.mode == "nearest":
            xp.sum(grad.reshape(n, c, h, s, w, s), axis=(3, 5), out=out)
        else:
            mh, mw = self._matrices((h, w), grad.dtype)
            matmul(mh.T, matmul(grad, mw), out=out)
        self.grad = out
