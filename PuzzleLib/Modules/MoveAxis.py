"""MoveAxis: move one axis of the data to another position."""
from PuzzleLib.Modules._args import intArg, normAxis
from PuzzleLib.Modules._permute import _Permute
from PuzzleLib.Modules._validate import ownerName


class MoveAxis(_Permute):
    """Moves axis ``src`` to position ``dst``, keeping the order of the others (as
    ``numpy.moveaxis``); the output is contiguous.

    Parameters
    ----------
    src, dst : int
        Source axis and its new position (the batch axis is 0; negative counts from the end).

    Shape
    -----
    (N, C, H, W), src=1, dst=3 -> (N, H, W, C).

    Example::

        >>> MoveAxis(1, 3)(to_gpu(np.zeros((2, 3, 4, 5), np.float32))).shape
        (2, 4, 5, 3)
    """

    def __init__(self, src, dst, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.src = intArg(owner, "src", src)
        self.dst = intArg(owner, "dst", dst)

    def _perm(self, ndim):
        src = normAxis(self, self.src, ndim, "src")
        dst = normAxis(self, self.dst, ndim, "dst")
        perm = [i for i in range(ndim) if i != src]
        perm.insert(dst, src)
        return tuple(perm)

    def _extraRepr(self):
        return "%d -> %d" % (self.src, self.dst)
