"""The shared machinery of Transpose, SwapAxes and MoveAxis: a permutation of the axes."""
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle


def _inverse(perm):
    """The permutation that undoes ``perm``."""
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return inverse


class _Permute(Module):
    """Permutes the axes by ``self._perm(ndim)`` (out axis i = in axis perm[i]) into a contiguous
    output; the gradient goes back through the inverse permutation."""

    def _perm(self, ndim):
        raise NotImplementedError

    def updateData(self, data):
        view = data.transpose(self._perm(data.ndim))
        out = self._buffer("data", view.shape, data.dtype)
        out[...] = view
        self.data = out

    def updateGrad(self, grad):
        view = grad.transpose(_inverse(self._perm(grad.ndim)))
        out = self._buffer("grad", view.shape, grad.dtype)
        out[...] = view
        self.grad = out

    def checkDataShape(self, shape):
        requireSingle(self, shape)
        self._perm(len(shape))

    def dataShapeFrom(self, shape):
        return tuple(shape[p] for p in self._perm(len(shape)))

    def gradShapeFrom(self, shape):
        return tuple(shape[i] for i in _inverse(self._perm(len(shape))))
