"""A base for costs whose prediction is a list of arrays (L1Hinge, Multi)."""
from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost


class _ListCost(_FusedCost):
    """Like :class:`Cost` (error and gradient computed together), but ``pred`` is a list of arrays;
    the batch size (the weight of a batch in ``getMeanError``) is the first axis of ``pred[0]``."""

    def _checkLists(self, pred, target, validation):
        raise NotImplementedError

    def _batchSize(self, pred):
        return pred[0].shape[0]

    def __call__(self, pred, target, queryError=True):
        if not Config.disableDtypeShapeChecks:
            self._checkLists(pred, target, False)
        error, grad = self.calcErrorAndGrad(pred, target)
        self.error = error
        self.grad = grad
        n = self._batchSize(pred)
        self.accumErr += error * n
        self.accumCount += n
        if queryError:
            return self.getError(), grad
        return grad

    def validate(self, pred, target):
        if not Config.disableDtypeShapeChecks:
            self._checkLists(pred, target, True)
        error = self.calcVal(pred, target)
        self.error = error
        n = self._batchSize(pred)
        self.accumErr += error * n
        self.accumCount += n
        return gpuarray.kernels.toScalar(error)
