"""SoftMax: normalised exponentials over axis 1 (the class / channel axis)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle

xp = gpuarray.xp


class SoftMax(Module):
    """``data = exp(x) / sum(exp(x), axis=1)``, computed stably (the max is subtracted first).

    For training a classifier, prefer raw scores into :class:`~PuzzleLib.Cost.CrossEntropy`,
    which applies the softmax itself; use this module for probabilities at inference time.

    Parameters
    ----------
    name : str, optional

    Shape
    -----
    (N, C[, ...]) -> the same; each (n, :, ...) fibre sums to 1. The gradient may also come with
    trailing axes of size 1 added or dropped ((N, C, 1, 1) for an (N, C, 1) output, as PuzzleLib
    1.0's 4-d softmax takes it); the input gradient has the input's shape.

    Example::

        >>> SoftMax()(to_gpu(np.zeros((1, 4), np.float32))).get()
        array([[0.25, 0.25, 0.25, 0.25]], dtype=float32)
    """

    def __init__(self, name=None):
        super().__init__(name)

    def updateData(self, data):
        out = self._buffer("data", data.shape, data.dtype)
        xp.subtract(data, data.max(axis=1, keepdims=True), out=out)
        xp.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        self.data = out

    def updateGrad(self, grad):
        # dx = y * (g - sum(g * y, axis=1))
        y = self.data
        if grad.shape != y.shape:  # the same values with trailing unit axes (see checkGradShape)
            grad = grad.reshape(y.shape)
        out = self._buffer("grad", grad.shape, grad.dtype)
        xp.multiply(grad, y, out=out)
        dot = out.sum(axis=1, keepdims=True)
        xp.subtract(grad, dot, out=out)
        out *= y
        self.grad = out

    def checkDataShape(self, shape):
        requireSingle(self, shape)
        if len(shape) < 2:
            raise self._error("expected data of shape (N, C[, ...]) (softmax over axis 1), got %s" % (tuple(shape),))

    def checkGradShape(self, shape):
        data = self.data
        if data is not None and tuple(shape) != tuple(data.shape) and \
                _withoutTrailingOnes(shape) == _withoutTrailingOnes(data.shape):
            return
        super().checkGradShape(shape)


def _withoutTrailingOnes(shape):
    shape = tuple(shape)
    while len(shape) > 2 and shape[-1] == 1:
        shape = shape[:-1]
    return shape
