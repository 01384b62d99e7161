"""Hinge: the binary hinge error ``mean(max(0, 1 - y * pred))`` with labels y = +-1."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost
from PuzzleLib.Cost._labels import checkFloatAndBinary

xp = gpuarray.xp


class Hinge(_FusedCost):
    """Binary hinge error: ``error = mean(max(0, 1 - y * s))`` over all elements, where ``s`` are
    the scores and ``y`` is +1 where the target is positive and -1 elsewhere (so both {-1, 1} and
    {0, 1} labels work).

    The gradient handed back is ``y * [y * s < 1] / N``. ``validate`` returns the same error (not
    an error rate), as PuzzleLib 1.0's does.

    Shape
    -----
    pred: scores, any shape; target: the same shape, integer labels or floats of pred's dtype.

    Example::

        >>> err, grad = Hinge()(to_gpu(np.array([0.5, 2.0], np.float32)), to_gpu(np.array([1, -1], np.int32)))
        >>> err, grad.get()  # (0.5 + 3) / 2
        (1.75, array([ 0.5, -0.5], dtype=float32))
    """

    @staticmethod
    def _signs(pred, target):
        return xp.where(target > 0, 1.0, -1.0).astype(pred.dtype)

    def calcErrorAndGrad(self, pred, target):
        y = self._signs(pred, target)
        margin = 1.0 - y * pred
        active = margin > 0
        error = (margin * active).mean()
        grad = self._gradBuffer(pred)
        xp.multiply(y, active, out=grad)
        grad *= 1.0 / grad.size
        return error, grad

    def calcError(self, pred, target):
        return xp.maximum(1.0 - self._signs(pred, target) * pred, 0).mean()

    def checkDataType(self, predDtype, targetDtype):
        checkFloatAndBinary(self, predDtype, targetDtype, "labels")
