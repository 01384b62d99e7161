"""LCN: local contrast normalisation (each value divided by its window's spread about the local mean)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.LRN import LRN
from PuzzleLib.Modules._window import cachedInverseCounts, localMean, spatialWindowSum

xp = gpuarray.xp
_plain = gpuarray.kernels.plain


class LCN(LRN):
    """Local contrast normalisation over each channel's map, as PuzzleLib 1.0 computes it:
    ``y[i] = x[i] / (K + alpha / N**2 * S[i]) ** beta`` with
    ``S[i] = sum over j in W(i) of (x[j] - m[i])**2``, ``m`` the local mean of the N x N window
    ``W(i)`` (as :class:`SubtractMean` with ``size=N``). ``W(i)`` covers
    ``h - (N - 1) // 2 .. h + N // 2`` (and likewise around ``w``); S sums only over the positions
    inside the map. The output is not centred: the mean enters only the spread.

    Parameters
    ----------
    N : int
        Window side (for the mean and for the spread).
    alpha, beta, K : float
        Scale (divided by N**2, >= 0), exponent and additive constant (> 0).
    includePad : bool
        For the mean: True divides every window by ``N**2`` (outside positions count as zeros);
        False averages over the positions inside the map only.

    Shape
    -----
    (N, C, H, W) -> the same. After a forward pass ``means`` holds ``m`` (that shape); ``size``
    is (N, N) and ``pad`` (N // 2, N // 2), how far a window reaches past the map's edge, as
    PuzzleLib 1.0 names them.

    Example::

        >>> x = to_gpu(np.full((1, 1, 4, 4), 3.0, np.float32))
        >>> lcn = LCN(N=3, K=4.0, beta=0.5, includePad=False)
        >>> lcn(x).get()[0, 0, 0]   # a flat map has no spread: x / K ** beta
        array([1.5, 1.5, 1.5, 1.5], dtype=float32)
    """

    def __init__(self, N=5, alpha=0.0001, beta=0.75, K=2.0, includePad=True, name=None):
        super().__init__(N, alpha, beta, K, name)
        self.includePad = bool(includePad)
        self.size = (self.N, self.N)
        self.pad = (self.N // 2, self.N // 2)
        self.means = None
        self._counts = {}
        self._spread = None

    def _windowSum(self, x, transpose=False):
        return spatialWindowSum(x, self.N, transpose)

    def _windowArea(self):
        return self.N * self.N

    def _invCounts(self, shape, dtype):
        return cachedInverseCounts(self._counts, shape, self.N, self.includePad, dtype)

    def _inside(self, shape, dtype):
        """How many positions of each window lie inside the map, over an (H, W) map."""
        key = ("inside", tuple(shape[-2:]), xp.dtype(dtype).name)
        count = self._counts.get(key)
        if count is None:
            count = self._windowSum(xp.ones(shape[-2:], dtype=dtype))
            self._counts[key] = count
        return count

    def updateData(self, data):
        x = _plain(data)
        inv = self._invCounts(x.shape, x.dtype)
        sumX = self._windowSum(x)
        m = sumX * inv
        # S = sum (x_j - m)^2 over the window = sum x_j^2 - 2 m sum x_j + count m^2
        spread = self._windowSum(x * x)
        spread -= m * (2.0 * sumX - self._inside(x.shape, x.dtype) * m)
        base = spread * (self.alpha / self._windowArea())
        base += self.K
        factor = xp.power(base, -self.beta)
        out, o = self._bufferPair("data", data.shape, data.dtype)
        xp.multiply(x, factor, out=o)
        self._base, self._factor = base, factor
        self._spread = (m, sumX - self._inside(x.shape, x.dtype) * m)  # m and D = sum (x_j - m) per window
        self.means = gpuarray.asDevice(m)
        self.data = out

    def updateGrad(self, grad):
        # dS_i/dx_k = 2 ((x_k - m_i) - D_i inv_i) for k in W(i)
        x, g = _plain(self.inData), _plain(grad)
        m, D = self._spread
        inv = self._invCounts(x.shape, x.dtype)
        t = g * _plain(self.data)
        t /= self._base
        t *= -2.0 * self.beta * self.alpha / self._windowArea()
        back = x * self._windowSum(t, transpose=True)
        back -= self._windowSum(t * (m + D * inv), transpose=True)
        out, o = self._bufferPair("grad", grad.shape, grad.dtype)
        xp.multiply(g, self._factor, out=o)
        o += back
        self.grad = out

    # what reset clears, the next forward pass sets again (see Handler: no reset between batches)
    _resetClearsOnlyCaches = True

    def reset(self):
        super().reset()
        self._spread = None
        self.means = None

    def calcMode(self, dtype):
        super().calcMode(dtype)
        self._counts.clear()

    def _extraRepr(self):
        return super()._extraRepr() + ("" if self.includePad else ", includePad=False")
