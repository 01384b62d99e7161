"""Transpose: permute the axes of the data (batch axis included)."""
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules._args import intTuple
from PuzzleLib.Modules._permute import _Permute
from PuzzleLib.Modules._validate import ownerName


class Transpose(_Permute):
    """Permutes the axes: output axis i is input axis ``axes[i]``; the output is contiguous.

    Parameters
    ----------
    axes : sequence of int, optional
        A permutation of ``range(ndim)`` counting the batch axis as 0; None reverses the axes.
        ``invaxes`` holds the inverse permutation (the one backward applies; None with axes None,
        as reversing is its own inverse).

    Shape
    -----
    (N, C, L), axes=(0, 2, 1) -> (N, L, C).

    Example::

        >>> Transpose((0, 2, 1))(to_gpu(np.zeros((2, 3, 4), np.float32))).shape
        (2, 4, 3)
    """

    def __init__(self, axes=None, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        if axes is not None:
            axes = intTuple(owner, "axes", axes)
            if sorted(axes) != list(range(len(axes))):
                raise ModuleError("%s: axes must be a permutation of 0..%d, got %r" % (owner, len(axes) - 1, axes))
        self.axes = axes
        self.invaxes = None if axes is None else tuple(sorted(range(len(axes)), key=lambda i: axes[i]))

    def _perm(self, ndim):
        if self.axes is None:
            return tuple(range(ndim - 1, -1, -1))
        if len(self.axes) != ndim:
            raise self._error("axes %s permute %d axes, got %d-d data" % (self.axes, len(self.axes), ndim))
        return self.axes

    def _extraRepr(self):
        return "axes=%s" % (self.axes,)
