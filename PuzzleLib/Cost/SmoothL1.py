"""SmoothL1: the Huber error with threshold 1 (squared near zero, absolute beyond)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost

xp = gpuarray.xp


class SmoothL1(_FusedCost):
    """``error = mean(e(d))`` with ``d = target - pred`` and ``e(d) = 0.5 d**2`` for ``|d| < 1``,
    ``|d| - 0.5`` otherwise (mean over all elements).

    The gradient handed back is ``clip(d, -1, 1) / N``, the negative gradient of the error, which
    updates add. (PuzzleLib 1.0 hands back the error's own gradient here, unlike its other costs,
    so training with it raises the error; see COMPATIBILITY.md.)

    Shape
    -----
    pred and target: the same shape and dtype.

    Example::

        >>> err, grad = SmoothL1()(to_gpu(np.array([0.0, 0.0], np.float32)), to_gpu(np.array([0.5, 3.0], np.float32)))
        >>> err, grad.get()  # (0.125 + 2.5) / 2
        (1.3125, array([0.25, 0.5 ], dtype=float32))

    Girshick, 2015, https://arxiv.org/abs/1504.08083
    """

    @staticmethod
    def _elementError(d):
        a = xp.abs(d)
        return xp.where(a < 1.0, 0.5 * d * d, a - 0.5)

    def calcErrorAndGrad(self, pred, target):
        grad = self._gradBuffer(pred)
        xp.subtract(target, pred, out=grad)
        error = self._elementError(grad).mean()
        xp.clip(grad, -1.0, 1.0, out=grad)
        grad *= 1.0 / grad.size
        return error, grad

    def calcError(self, pred, target):
        return self._elementError(target - pred).mean()
