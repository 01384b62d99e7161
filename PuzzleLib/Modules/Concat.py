"""Concat: join a list of arrays along one axis."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import concatShape, cutAlong, intArg, normAxis, requireList
from PuzzleLib.Modules._validate import ownerName

xp = gpuarray.xp


class Concat(Module):
    """Concatenates a list of arrays along ``axis``; the gradient is split back into pieces.

    Parameters
    ----------
    axis : int
        The axis to join along (counting the batch axis as 0; negative counts from the end).

    Shape
    -----
    [(N, a, ...), (N, b, ...)] -> (N, a + b, ...) for axis=1; other axes must agree.

    Example::

        >>> x, y = to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros((2, 5), np.float32))
        >>> Concat(axis=1)([x, y]).shape
        (2, 8)
    """

    def __init__(self, axis, name=None):
        super().__init__(name)
        self.axis = intArg(ownerName(type(self), name), "axis", axis)

    def updateData(self, data):
        axis = self.axis % data[0].ndim
        shape = self.dataShapeFrom([x.shape for x in data])
        out = self._buffer("data", shape, data[0].dtype)
        xp.concatenate(data, axis=axis, out=out)
        self.data = out

    def updateGrad(self, grad):
        axis = self.axis % grad.ndim
        self.grad = cutAlong(self, "grad", grad, axis, [x.shape[axis] for x in self.inData])

    def checkDataShape(self, shapes):
        requireList(self, shapes)
        ndim = len(shapes[0])
        if any(len(s) != ndim for s in shapes):
            raise self._error("expected arrays with one number of axes, got shapes %s" % (shapes,))
        axis = normAxis(self, self.axis, ndim)
        rest = [s[:axis] + s[axis + 1:] for s in shapes]
        if any(r != rest[0] for r in rest):
            raise self._error("expected arrays that agree on every axis but %d, got shapes %s" % (axis, shapes))

    def dataShapeFrom(self, shapes):
        return concatShape(shapes, self.axis % len(shapes[0]))

    def gradShapeFrom(self, shape):
        if self.inData is None:
            raise self._error("gradShapeFrom needs the input shapes; run a forward pass first")
        return [tuple(x.shape) for x in self.inData]

    def _extraRepr(self):
        return "axis=%d" % self.axis
