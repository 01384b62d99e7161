"""LRN: the base of the local response normalisations (CrossMapLRN, MapLRN, LCN)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireNdim
from PuzzleLib.Modules._validate import ownerName, positiveInt, realNumber

xp = gpuarray.xp
_plain = gpuarray.kernels.plain


class LRN(Module):
    """Local response normalisation: ``y = x / (K + alpha / N * S(x**2)) ** beta``, where ``S``
    sums over a window of ``N`` positions around each element (zeros outside the data).

    This class holds what the normalisations share; build one of its subclasses:
    :class:`CrossMapLRN` (window across channels), :class:`MapLRN` (N x N window within each
    channel's map) or :class:`LCN` (local contrast: mean subtraction, then MapLRN's division).

    The window at position ``i`` covers ``i - (N - 1) // 2 .. i + N // 2`` (centred for odd N;
    one further forward for even N), as Caffe's and cuDNN's across-channel LRN.

    Parameters
    ----------
    N : int
        Window size.
    alpha : float
        Scale of the sum of squares (divided by N), >= 0.
    beta : float
        Exponent.
    K : float
        Additive constant, > 0 (keeps the base positive).

    Shape
    -----
    (N, C, H, W) -> the same.

    Example::

        >>> from PuzzleLib.Modules import CrossMapLRN, MapLRN, LCN
        >>> [isinstance(m, LRN) for m in (CrossMapLRN(), MapLRN(), LCN())]
        [True, True, True]
        >>> LRN()
        Traceback (most recent call last):
            ...
        PuzzleLib.Errors.ModuleError: LRN: LRN is the base of CrossMapLRN, MapLRN and LCN; build one of those
    """

    def __init__(self, N=5, alpha=0.0001, beta=0.75, K=2.0, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        if type(self) is LRN:
            raise ModuleError("%s: LRN is the base of CrossMapLRN, MapLRN and LCN; build one of those" % owner)
        self.N = positiveInt(owner, "N", N)
        self.alpha = realNumber(owner, "alpha", alpha)
        self.beta = realNumber(owner, "beta", beta)
        self.K = realNumber(owner, "K", K)
        if self.alpha < 0:
            raise ModuleError("%s: alpha must be >= 0, got %r" % (owner, alpha))
        if self.K <= 0:
            raise ModuleError("%s: K must be > 0 (the base K + alpha/N * sum must stay positive), got %r"
                              % (owner, K))
        self._base = self._factor = None

    def _windowSum(self, x, transpose=False):
        """Sum over each element's window (``transpose``: the adjoint window)."""
        raise NotImplementedError

    def _windowArea(self):
        """What alpha is divided by: the number of positions in a window (N across channels)."""
        return self.N

    def _normalise(self, x, out):
        """out = x * (K + alpha/N * S(x**2)) ** -beta; keeps the base and the factor for backward."""
        base = self._windowSum(x * x)
        base *= self.alpha / self._windowArea()
        base += self.K
        factor = xp.power(base, -self.beta)
        xp.multiply(x, factor, out=out)
        self._base, self._factor = base, factor

    def _normaliseGrad(self, x, y, grad, out):
        """out = the gradient with respect to x of the last ``_normalise`` (output y)."""
        t = grad * y
        t /= self._base
        back = self._windowSum(t, transpose=True)
        back *= x
        back *= 2.0 * self.alpha * self.beta / self._windowArea()
        xp.multiply(grad, self._factor, out=out)
        out -= back

    def updateData(self, data):
        out, o = self._bufferPair("data", data.shape, data.dtype)
        self._normalise(_plain(data), o)
        self.data = out

    def updateGrad(self, grad):
        out, o = self._bufferPair("grad", grad.shape, grad.dtype)
        self._normaliseGrad(_plain(self.inData), _plain(self.data), _plain(grad), o)
        self.grad = out

    def checkDataShape(self, shape):
        requireNdim(self, shape, 4, "(N, C, H, W)")

    # what reset clears, the next forward pass sets again (see Handler: no reset between batches)
    _resetClearsOnlyCaches = True

    def reset(self):
        super().reset()
        self._base = self._factor = None

    def _extraRepr(self):
        return "N=%d, alpha=%g, beta=%g, K=%g" % (self.N, self.alpha, self.beta, self.K)
