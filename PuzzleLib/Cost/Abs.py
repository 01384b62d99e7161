"""Abs: mean absolute error, ``mean(|target - pred|)``."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost

xp = gpuarray.xp


class Abs(_FusedCost):
    """Mean absolute error over all elements: ``error = mean(|target - pred|)``.

    The gradient handed back is ``sign(target - pred) / N`` (N = number of elements), the negative
    gradient of the error (0 where pred equals target).

    Shape
    -----
    pred and target: the same shape and dtype.

    Example::

        >>> err, grad = Abs()(to_gpu(np.array([0.0, 3.0], np.float32)), to_gpu(np.array([1.0, 1.0], np.float32)))
        >>> err, grad.get()
        (1.5, array([ 0.5, -0.5], dtype=float32))
    """

    def calcErrorAndGrad(self, pred, target):
        grad = self._gradBuffer(pred)
        xp.subtract(target, pred, out=grad)
        error = xp.abs(grad).mean()
        xp.sign(grad, out=grad)
        grad *= 1.0 / grad.size
        return error, grad

    def calcError(self, pred, target):
        return xp.abs(target - pred).mean()
