"""MapLRN: local response normalisation within each channel's map."""
from PuzzleLib.Modules.LRN import LRN
from PuzzleLib.Modules._window import spatialWindowSum


class MapLRN(LRN):
    """Normalises each element by the squares in an N x N window of its own channel's map.

    ``y[n, c, h, w] = x[n, c, h, w] / (K + alpha / N**2 * sum x[n, c, i, j]**2) ** beta``, with
    ``i`` over ``h - (N - 1) // 2 .. h + N // 2`` and ``j`` likewise around ``w``; positions
    outside the map count as zeros.

    .. note:: The sum of the N * N squares is scaled by ``alpha / N**2`` (its window's area), as
       PuzzleLib 1.0 and Caffe's WITHIN_CHANNEL mode scale it; CrossMapLRN divides by N.

    Parameters
    ----------
    N : int
        Window side.
    alpha, beta, K : float
        Scale (divided by N**2, >= 0), exponent and additive constant (> 0).

    Shape
    -----
    (N, C, H, W) -> the same.

    Example::

        >>> lrn = MapLRN(N=3, alpha=13.5, beta=0.5, K=1.0)
        >>> lrn(to_gpu(np.ones((1, 1, 1, 2), np.float32))).get().ravel()   # (1 + 13.5 / 9 * 2) ** -0.5
        array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, N=5, alpha=0.0001, beta=0.75, K=2.0, name=None):
        super().__init__(N, alpha, beta, K, name)

    def _windowSum(self, x, transpose=False):
        return spatialWindowSum(x, self.N, transpose)

    def _windowArea(self):
        return self.N * self.N
