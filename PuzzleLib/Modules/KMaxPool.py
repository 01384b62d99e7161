"""KMaxPool: keep the k largest values along an axis, in ascending order of value."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle
from PuzzleLib.Modules._validate import ownerName, positiveInt

xp = gpuarray.xp
_stable = None if gpuarray.isGPU else "stable"  # CuPy sorts stably and takes only kind=None


class KMaxPool(Module):
    """k-max pooling (Kalchbrenner et al., 2014, https://arxiv.org/abs/1404.2188): along ``axis``
    keep the ``topk`` largest values, in ascending order of value (PuzzleLib 1.0's order; the
    paper keeps them in the order they appear in the input).

    Ties for a place among the k go to the earlier position, and equal values keep their input
    order. ``indices`` holds, per output value, the position it came from. Backward sends each
    gradient to that position; the other positions get zero.

    Parameters
    ----------
    topk : int
        How many values to keep (at most the axis' length).
    axis : int
        The axis to pool over (negative counts from the end).

    Shape
    -----
    (..., L, ...) -> (..., topk, ...), L on ``axis``.

    Example::

        >>> KMaxPool(topk=2, axis=1)(to_gpu(np.array([[1, 7, 2, 5]], np.float32))).get()
        array([[5., 7.]], dtype=float32)
    """

    def __init__(self, topk, axis, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.topk = positiveInt(owner, "topk", topk)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ModuleError("%s: axis must be an int, got %r" % (owner, axis))
        self.axis = axis
        self.indices = None

    def _axis(self, ndim):
        return self.axis % ndim

    def checkDataShape(self, shape):
        requireSingle(self, shape)
        ndim = len(shape)
        if not -ndim <= self.axis < ndim:
            raise self._error("axis %d is out of range for %d-d data of shape %s" % (self.axis, ndim, tuple(shape)))
        if shape[self.axis] < self.topk:
            raise self._error("expected at least topk=%d values on axis %d, got shape %s" % (
                self.topk, self.axis, tuple(shape)))

    def updateData(self, data):
        axis = self._axis(data.ndim)
        moved = xp.moveaxis(data, axis, -1)
        flat = moved.reshape(-1, moved.shape[-1])
        chosen = xp.sort(xp.argsort(-flat, axis=1, kind=_stable)[:, :self.topk], axis=1)  # positions, in order
        ascending = xp.argsort(xp.take_along_axis(flat, chosen, axis=1), axis=1, kind=_stable)
        self.indices = xp.take_along_axis(chosen, ascending, axis=1)
        picked = xp.take_along_axis(flat, self.indices, axis=1)
        out = picked.reshape(moved.shape[:-1] + (self.topk,))
        self.data = gpuarray.asDevice(xp.ascontiguousarray(xp.moveaxis(out, -1, axis)))

    def updateGrad(self, grad):
        axis = self._axis(grad.ndim)
        shape = self.inData.shape
        moved = xp.moveaxis(grad, axis, -1).reshape(-1, self.topk)
        flat = xp.zeros((moved.shape[0], shape[axis]), dtype=grad.dtype)
        rows = xp.arange(moved.shape[0])[:, None]
        flat[rows, self.indices] = moved
        movedShape = tuple(s for i, s in enumerate(shape) if i != axis) + (shape[axis],)
        out = xp.moveaxis(flat.reshape(movedShape), -1, axis)
        self.grad = gpuarray.asDevice(xp.ascontiguousarray(out))

    def dataShapeFrom(self, shape):
        shape = list(shape)
        shape[self._axis(len(shape))] = self.topk
        return tuple(shape)

    def gradShapeFrom(self, shape):
        if self.inData is None:
            raise self._error("gradShapeFrom needs the input's length on axis %d: run a forward pass first" % self.axis)
        return tuple(self.inData.shape)

    def _extraRepr(self):
        return "topk=%d, axis=%d" % (self.topk, self.axis)
