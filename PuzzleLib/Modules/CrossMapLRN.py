"""CrossMapLRN: local response normalisation across channels."""
from PuzzleLib.Modules.LRN import LRN
from PuzzleLib.Modules._window import windowSum


class CrossMapLRN(LRN):
    """Normalises each element by the squares of the same position in neighbouring channels.

    ``y[n, c, h, w] = x[n, c, h, w] / (K + alpha / N * sum_j x[n, j, h, w]**2) ** beta``, with
    ``j`` over ``c - (N - 1) // 2 .. c + N // 2``, limited to existing channels (as Caffe's and
    cuDNN's across-channel LRN).
    For even N, PyTorch's ``LocalResponseNorm`` reaches one channel further back instead.

    Parameters
    ----------
    N : int
        Channels in the window.
    alpha, beta, K : float
        Scale (divided by N, >= 0), exponent and additive constant (> 0).

    Shape
    -----
    (N, C, H, W) -> the same.

    Example::

        >>> lrn = CrossMapLRN(N=3, alpha=4.5, beta=0.5, K=1.0)
        >>> lrn(to_gpu(np.ones((1, 2, 1, 1), np.float32))).get().ravel()   # (1 + 4.5 / 3 * 2) ** -0.5
        array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, N=5, alpha=0.0001, beta=0.75, K=2.0, name=None):
        super().__init__(N, alpha, beta, K, name)

    def _windowSum(self, x, transpose=False):
        return windowSum(x, 1, self.N, transpose)
