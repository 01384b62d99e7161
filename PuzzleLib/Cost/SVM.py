"""SVM: a one-vs-all hinge error over the classes, against integer labels."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost
from PuzzleLib.Cost._labels import (argmaxErrorRate, checkFloatAndInt, checkLabelRange, checkLabelsFor,
                                    checkScoresAndLabels, oneHot)
from PuzzleLib.Errors import CostError

xp = gpuarray.xp

MODES = ("l1", "l2")


class SVM(_FusedCost):
    """One-vs-all SVM error, as PuzzleLib 1.0 defines it: each class j of a sample with label y is
    a binary problem with target ``c_j = +1`` for j == y and ``-1`` otherwise, and margin
    ``m_j = max(0, 1 - c_j * s_j)``; the error is the mean over every score (samples, classes and
    any trailing positions) of ``m_j`` (mode "l1") or ``m_j**2`` (mode "l2").

    The gradient handed back is the negative gradient of that error (``c_j * [m_j > 0]`` or
    ``2 * c_j * m_j``, over the number of scores). ``validate`` returns the error rate (argmax of
    the scores against the labels) and keeps the argmax in ``mostProb``.

    Parameters
    ----------
    mode : str
        "l1" (hinge) or "l2" (squared hinge).

    Shape
    -----
    pred: (N, classes[, ...]) scores; target: (N[, ...]) int32 labels.

    Example::

        >>> err, grad = SVM()(to_gpu(np.array([[1.0, 0.5, -2.0]], np.float32)), to_gpu(np.array([0], np.int32)))
        >>> err  # (max(0, 1 - 1) + max(0, 1 + 0.5) + max(0, 1 - 2)) / 3
        0.5
    """

    def __init__(self, mode="l1"):
        super().__init__()
        mode = getattr(mode, "value", mode)
        if mode not in MODES:
            raise CostError("SVM: unknown mode %r; expected one of %s" % (mode, ", ".join(MODES)))
        self.mode = mode
        self.mostProb = None

    def calcErrorAndGrad(self, pred, target):
        classes = pred.shape[1]
        checkLabelRange(self, target, classes)
        signs = oneHot(target, classes, pred.dtype)
        signs *= 2
        signs -= 1                                              # c_j: +1 for the label, -1 elsewhere
        margins = xp.maximum(1.0 - signs * pred, 0)
        grad = self._gradBuffer(pred)
        if self.mode == "l1":
            error = margins.mean()
            xp.multiply(signs, margins > 0, out=grad)
        else:
            error = (margins * margins).mean()
            xp.multiply(signs, margins, out=grad)
            grad *= 2.0
        grad *= 1.0 / pred.size                                 # -d error / d s_j
        return error, grad

    def _checkTargetsFor(self, module, data, target):
        return checkLabelsFor(self, module, data, target)

    def calcVal(self, pred, target):
        checkLabelRange(self, target, pred.shape[1])
        self.mostProb = gpuarray.asDevice(xp.argmax(pred, axis=1).astype(xp.int32))
        return argmaxErrorRate(pred, target)

    def checkDataShape(self, predShape, targetShape):
        checkScoresAndLabels(self, predShape, targetShape)

    def checkDataType(self, predDtype, targetDtype):
        checkFloatAndInt(self, predDtype, targetDtype)

    def __str__(self):
        return "SVM(mode=%r)" % self.mode

    __repr__ = __str__
