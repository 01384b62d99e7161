"""SVM: the multiclass hinge error (one margin per wrong class) against integer labels."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost
from PuzzleLib.Cost._labels import (argmaxErrorRate, checkFloatAndInt, checkLabelRange, checkLabelsFor,
                                    checkScoresAndLabels, oneHot)
from PuzzleLib.Errors import CostError

xp = gpuarray.xp

MODES = ("l1", "l2")


class SVM(_FusedCost):
    """Multiclass SVM error (Weston-Watkins): for each sample with label y and scores s,
    ``m_j = max(0, 1 + s_j - s_y)`` for every class j != y; the error is the mean over samples of
    ``sum_j m_j`` (mode "l1") or ``sum_j m_j**2`` (mode "l2").

    The gradient handed back is the negative gradient of that error. ``validate`` returns the
    error rate (argmax of the scores against the labels).

    Parameters
    ----------
    mode : str
        "l1" (hinge) or "l2" (squared hinge).

    Shape
    -----
    pred: (N, classes[, ...]) scores; target: (N[, ...]) int32 labels.

    Example::

        >>> err, grad = SVM()(to_gpu(np.array([[1.0, 0.5, -2.0]], np.float32)), to_gpu(np.array([0], np.int32)))
        >>> err  # max(0, 1 + 0.5 - 1) + max(0, 1 - 2 - 1)
        0.5
    """

    def __init__(self, mode="l1"):
        super().__init__()
        mode = getattr(mode, "value", mode)
        if mode not in MODES:
            raise CostError("SVM: unknown mode %r; expected one of %s" % (mode, ", ".join(MODES)))
        self.mode = mode

    def calcErrorAndGrad(self, pred, target):
        classes = pred.shape[1]
        checkLabelRange(self, target, classes)
        hot = oneHot(target, classes, pred.dtype)
        correct = (pred * hot).sum(axis=1, keepdims=True)
        margins = xp.maximum(pred - correct + 1.0, 0) * (1.0 - hot)
        count = target.size
        if self.mode == "l1":
            error = margins.sum() / count
            dm = (margins > 0).astype(pred.dtype)
        else:
            error = (margins * margins).sum() / count
            dm = 2.0 * margins
        # d error / d s_j = dm_j for j != y; d error / d s_y = -sum_j dm_j
        grad = self._gradBuffer(pred)
        xp.multiply(hot, dm.sum(axis=1, keepdims=True), out=grad)
        grad -= dm
        grad *= 1.0 / count
        return error, grad

    def _checkTargetsFor(self, module, data, target):
        checkLabelsFor(self, module, data, target)

    def calcVal(self, pred, target):
        checkLabelRange(self, target, pred.shape[1])
        return argmaxErrorRate(pred, target)

    def checkDataShape(self, predShape, targetShape):
        checkScoresAndLabels(self, predShape, targetShape)

    def checkDataType(self, predDtype, targetDtype):
        checkFloatAndInt(self, predDtype, targetDtype)

    def __str__(self):
        return "SVM(mode=%r)" % self.mode

    __repr__ = __str__
