"""LCN: local contrast normalisation (local mean subtraction, then MapLRN's division)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.LRN import LRN
from PuzzleLib.Modules._window import cachedInverseCounts, localMean, localMeanAdjoint, spatialWindowSum

xp = gpuarray.xp
_plain = gpuarray.kernels.plain


class LCN(LRN):
    """Local contrast normalisation over each channel's map:
    ``z = x - mean_NxN(x)`` (as :class:`SubtractMean` with ``size=N``), then
    ``y = z / (K + alpha / N * sum_NxN(z**2)) ** beta`` (as :class:`MapLRN`). Windows cover
    ``h - (N - 1) // 2 .. h + N // 2`` (and likewise around ``w``).

    Parameters
    ----------
    N : int
        Window side (for the mean and for the sum of squares).
    alpha, beta, K : float
        Scale (divided by N, >= 0), exponent and additive constant (> 0).
    includePad : bool
        For the mean: True divides every window by ``N**2`` (outside positions count as zeros);
        False averages over the positions inside the map only. The sum of squares always
        counts outside positions as zeros.

    Shape
    -----
    (N, C, H, W) -> the same.

    Example::

        >>> x = to_gpu(np.full((1, 1, 4, 4), 3.0, np.float32))
        >>> float(abs(LCN(N=3, includePad=False)(x).get()).max())
        0.0
    """

    def __init__(self, N=5, alpha=0.0001, beta=0.75, K=2.0, includePad=True, name=None):
        super().__init__(N, alpha, beta, K, name)
        self.includePad = bool(includePad)
        self.size = (self.N, self.N)
        self.pad = (self.N // 2, self.N // 2)
        self.means = None
        self._counts = {}
        self._centred = None

    def _windowSum(self, x, transpose=False):
        return spatialWindowSum(x, self.N, transpose)

    def _invCounts(self, shape, dtype):
        return cachedInverseCounts(self._counts, shape, self.N, self.includePad, dtype)

    def updateData(self, data):
        x = _plain(data)
        means = localMean(x, self.N, self._invCounts(x.shape, x.dtype))
        self.means = gpuarray.asDevice(means)
        z = x - means
        out, o = self._bufferPair("data", data.shape, data.dtype)
        self._normalise(z, o)
        self._centred = z
        self.data = out

    def updateGrad(self, grad):
        g = _plain(grad)
        gz = self._scratch("gz", g.shape, g.dtype)
        self._normaliseGrad(self._centred, _plain(self.data), g, gz)
        out, o = self._bufferPair("grad", grad.shape, grad.dtype)
        xp.subtract(gz, localMeanAdjoint(gz, self.N, self._invCounts(g.shape, g.dtype)), out=o)
        self.grad = out

    # what reset clears, the next forward pass sets again (see Handler: no reset between batches)
    _resetClearsOnlyCaches = True

    def reset(self):
        super().reset()
        self._centred = None
        self.means = None

    def calcMode(self, dtype):
        super().calcMode(dtype)
        self._counts.clear()

    def _extraRepr(self):
        return super()._extraRepr() + ("" if self.includePad else ", includePad=False")
