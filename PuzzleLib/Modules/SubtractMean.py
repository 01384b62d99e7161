"""SubtractMean: subtract the local mean of each channel's map."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireNdim
from PuzzleLib.Modules._validate import ownerName, positiveInt
from PuzzleLib.Modules._window import cachedInverseCounts, localMean, localMeanAdjoint

xp = gpuarray.xp
_plain = gpuarray.kernels.plain


class SubtractMean(Module):
    """Subtracts from each element the mean of the ``size`` x ``size`` window around it.

    The window lies in the element's own channel's map: ``y = x - mean(x[n, c, h - (size-1)//2 .. h + size//2, w - ... w + ...])``.

    Parameters
    ----------
    size : int
        Window side (odd sizes are centred; even ones reach one further down and right).
        ``pad`` is (size // 2, size // 2): how far a window reaches past the map's edge.
    includePad : bool
        True: positions outside the map count as zeros and every window is divided by
        ``size**2``; False: the mean is over the positions inside the map only.

    Shape
    -----
    (N, C, H, W) -> the same.

    Example::

        >>> x = to_gpu(np.full((1, 1, 4, 4), 3.0, np.float32))
        >>> float(abs(SubtractMean(size=3, includePad=False)(x).get()).max())
        0.0
    """

    def __init__(self, size=5, includePad=True, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.size = positiveInt(owner, "size", size)
        self.pad = (self.size // 2, self.size // 2)
        self.includePad = bool(includePad)
        self._counts = {}

    def _invCounts(self, shape, dtype):
        return cachedInverseCounts(self._counts, shape, self.size, self.includePad, dtype)

    def updateData(self, data):
        x = _plain(data)
        out, o = self._bufferPair("data", data.shape, data.dtype)
        xp.subtract(x, localMean(x, self.size, self._invCounts(x.shape, x.dtype)), out=o)
        self.data = out

    def updateGrad(self, grad):
        g = _plain(grad)
        out, o = self._bufferPair("grad", grad.shape, grad.dtype)
        xp.subtract(g, localMeanAdjoint(g, self.size, self._invCounts(g.shape, g.dtype)), out=o)
        self.grad = out

    def checkDataShape(self, shape):
        requireNdim(self, shape, 4, "(N, C, H, W)")

    def calcMode(self, dtype):
        super().calcMode(dtype)
        self._counts.clear()

    def _extraRepr(self):
        return "size=%d" % self.size + ("" if self.includePad else ", includePad=False")
