"""Flatten: collapse every axis after the batch axis, ``(N, ...) -> (N, prod(...))``."""
import math

from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle


class Flatten(Module):
    """Collapses all axes but the first: ``(N, C, H, W) -> (N, C*H*W)``.

    The output is a view of the input (no copy); the gradient is reshaped back.

    Parameters
    ----------
    name : str, optional

    Shape
    -----
    data: (N, d1, d2, ...) -> (N, d1*d2*...).

    Example::

        >>> Flatten()(to_gpu(np.zeros((2, 3, 4, 5), np.float32))).shape
        (2, 60)
    """

    def __init__(self, name=None):
        super().__init__(name)

    def updateData(self, data):
        self.data = data.reshape(data.shape[0], math.prod(data.shape[1:]))  # not -1: a batch may be empty

    def updateGrad(self, grad):
        self.grad = grad.reshape(self.inData.shape)

    def checkDataShape(self, shape):
        requireSingle(self, shape)
        if len(shape) < 1:
            raise self._error("expected data with a batch axis (at least 1-d), got shape %s" % (tuple(shape),))

    def dataShapeFrom(self, shape):
        return (shape[0], math.prod(shape[1:]))

    def gradShapeFrom(self, shape):
        if self.inData is not None:
            features = tuple(self.inData.shape[1:])
            if len(shape) != 2 or shape[1] != math.prod(features):
                raise self._error("gradShapeFrom: expected a gradient of shape (N, %d) for the last input %s, "
                                  "got %s" % (math.prod(features), tuple(self.inData.shape), tuple(shape)))
            return (shape[0],) + features  # the batch of the given shape, not of the last input
        raise self._error("gradShapeFrom cannot recover the unflattened shape from %s alone; "
                          "run a forward pass first" % (tuple(shape),))
