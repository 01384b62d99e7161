"""Replicate: hand the same input to several consumers (a list of outputs)."""
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle
from PuzzleLib.Modules._validate import ownerName, positiveInt


class Replicate(Module):
    """Outputs a list of ``times`` copies of the input; the input gradient is the sum of the
    gradients of the copies.

    Parameters
    ----------
    times : int
        Number of outputs.

    Shape
    -----
    s -> [s] * times. The first output is the input array itself, the others are copies.

    Example::

        >>> len(Replicate(3)(to_gpu(np.zeros((2, 2), np.float32))))
        3
    """

    def __init__(self, times, name=None):
        super().__init__(name)
        self.times = positiveInt(ownerName(type(self), name), "times", times)

    def updateData(self, data):
        outs = [data]
        for i in range(1, self.times):
            out = self._buffer("data%d" % i, data.shape, data.dtype)
            out[...] = data
            outs.append(out)
        self.data = outs

    def updateGrad(self, grad):
        out = self._buffer("grad", grad[0].shape, grad[0].dtype)
        out[...] = grad[0]
        for g in grad[1:]:
            out += g
        self.grad = out

    def checkDataShape(self, shape):
        requireSingle(self, shape)

    def dataShapeFrom(self, shape):
        return [tuple(shape)] * self.times

    def gradShapeFrom(self, shapes):
        return tuple(shapes[0])

    def _extraRepr(self):
        return "times=%d" % self.times
