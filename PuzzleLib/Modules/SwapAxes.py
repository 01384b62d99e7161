"""SwapAxes: exchange two axes of the data."""
from PuzzleLib.Modules._args import intArg, normAxis
from PuzzleLib.Modules._permute import _Permute
from PuzzleLib.Modules._validate import ownerName


class SwapAxes(_Permute):
    """Exchanges axes ``axis1`` and ``axis2`` (the batch axis is 0); the output is contiguous.

    Parameters
    ----------
    axis1, axis2 : int
        The axes to swap (negative counts from the end).

    Shape
    -----
    (N, C, L), (1, 2) -> (N, L, C).

    Example::

        >>> SwapAxes(1, 2)(to_gpu(np.zeros((2, 3, 4), np.float32))).shape
        (2, 4, 3)
    """

    def __init__(self, axis1, axis2, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.axis1 = intArg(owner, "axis1", axis1)
        self.axis2 = intArg(owner, "axis2", axis2)

    def _perm(self, ndim):
        a = normAxis(self, self.axis1, ndim, "axis1")
        b = normAxis(self, self.axis2, ndim, "axis2")
        perm = list(range(ndim))
        perm[a], perm[b] = perm[b], perm[a]
        return tuple(perm)

    def _extraRepr(self):
        return "%d <-> %d" % (self.axis1, self.axis2)
