"""Tile: repeat the data a number of times along one axis."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import intArg, normAxis, requireSingle
from PuzzleLib.Modules._validate import ownerName, positiveInt

xp = gpuarray.xp


class Tile(Module):
    """Stacks ``times`` copies of the data one after another along ``axis``
    (``[x, x, ...]`` concatenated); the input gradient sums the copies' gradients.

    Parameters
    ----------
    axis : int
        The axis to repeat along (the batch axis is 0; negative counts from the end).
    times : int
        Number of copies.

    Shape
    -----
    (N, C, L), axis=1, times=3 -> (N, 3C, L).

    Example::

        >>> Tile(axis=1, times=3)(to_gpu(np.array([[1.0, 2.0]], np.float32))).get()
        array([[1., 2., 1., 2., 1., 2.]], dtype=float32)
    """

    def __init__(self, axis, times, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.axis = intArg(owner, "axis", axis)
        self.times = positiveInt(owner, "times", times)

    def updateData(self, data):
        axis = self.axis % data.ndim
        shape = self.dataShapeFrom(data.shape)
        out = self._buffer("data", shape, data.dtype)
        split = data.shape[:axis] + (self.times, data.shape[axis]) + data.shape[axis + 1:]
        out.reshape(split)[...] = xp.expand_dims(data, axis)
        self.data = out

    def updateGrad(self, grad):
        x = self.inData
        axis = self.axis % x.ndim
        split = x.shape[:axis] + (self.times, x.shape[axis]) + x.shape[axis + 1:]
        out = self._buffer("grad", x.shape, grad.dtype)
        xp.sum(grad.reshape(split), axis=axis, out=out)
        self.grad = out

    def checkDataShape(self, shape):
        requireSingle(self, shape)
        normAxis(self, self.axis, len(shape))

    def dataShapeFrom(self, shape):
        axis = self.axis % len(shape)
        return tuple(shape[:axis]) + (shape[axis] * self.times,) + tuple(shape[axis + 1:])

    def gradShapeFrom(self, shape):
        axis = self.axis % len(shape)
        return tuple(shape[:axis]) + (shape[axis] // self.times,) + tuple(shape[axis + 1:])

    def _extraRepr(self):
        return "axis=%d, times=%d" % (self.axis, self.times)
