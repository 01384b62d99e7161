"""A base for costs whose prediction is not one batch-first array: a list of arrays (L1Hinge,
Multi) or time-first sequences (CTC)."""
from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost


class _ListCost(_FusedCost):
    """Like :class:`Cost` (error and gradient computed together), but the inputs are checked by
    ``_checkLists(pred, target, validation)`` and a batch weighs ``_batchSize(pred)`` samples in
    ``getMeanError`` (by default the first axis of ``pred[0]``, for a list of arrays)."""

    def _checkLists(self, pred, target, validation):
        raise NotImplementedError

    def _batchSize(self, pred):
        return pred[0].shape[0]

    def __call__(self, pred, target, queryError=True):
        if not Config.disableDtypeShapeChecks:
            self._checkLists(pred, target, False)
        error, grad = self.calcErrorAndGrad(pred, target)
        self.grad = grad
        self._account(error, self._batchSize(pred))
        if queryError:
            return self.getError(), grad
        return grad

    def _validate(self, pred, target):
        if not Config.disableDtypeShapeChecks:
            self._checkLists(pred, target, True)
        error = self.calcVal(pred, target)
        self._account(error, self._batchSize(pred))
        return error
