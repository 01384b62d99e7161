"""CrossEntropy: softmax over the class axis, then the negative log-likelihood of integer labels."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost
from PuzzleLib.Cost._labels import (argmaxErrorRate, checkFloatAndInt, checkLabelRange, checkLabelsFor, checkMaxlabels,
                                    checkScoresAndLabels, oneHot, softmax)
from PuzzleLib.Errors import CostError

xp = gpuarray.xp
kernels = gpuarray.kernels


def _crossEntropyGradError(pred, target, grad, weights):
    """The backend-neutral form of kernels.crossEntropyGradError (same contract)."""
    probs, logp = softmax(pred)
    hot = oneHot(target, pred.shape[1], pred.dtype)
    count = target.size
    nll = -(logp * hot).sum(axis=1)
    xp.subtract(hot, probs, out=grad)
    if weights is not None:
        nll *= weights[target]
        grad *= weights.reshape((1, pred.shape[1]) + (1,) * (pred.ndim - 2))
    grad *= 1.0 / pred.shape[0]
    return nll.sum() / count


class CrossEntropy(_FusedCost):
    """Softmax cross-entropy against integer class labels.

    ``error = mean_i w[y_i] * -log softmax(pred_i)[y_i]`` over every labelled position i (the batch
    and any trailing spatial axes). The gradient handed back is, as in PuzzleLib 1.0,
    ``w[c] * (onehot(y_i) - softmax(pred_i))_c / N`` for class c at position i, N the batch size.
    Without weights and trailing axes that is the negative gradient of the error; with P positions
    per sample it is P times it, and with weights each class's entry is scaled by its own weight
    (not the label's), still a descent direction. ``validate`` returns the error rate: the
    fraction of positions whose argmax over the class axis misses the label; it keeps that argmax
    in ``mostProb`` (int32, the labels' shape) and ignores the weights.

    Parameters
    ----------
    maxlabels : int, optional
        Number of classes; when given, the scores' axis 1 must have this size.
    weights : sequence of float, optional
        One weight per class (w above; all ones by default). The mean still divides by the number
        of labels, not by the sum of their weights.

    Shape
    -----
    pred: (N, classes[, ...]) raw scores (float); target: (N[, ...]) int32 labels in [0, classes).

    Example::

        >>> ce = CrossEntropy()
        >>> err, grad = ce(to_gpu(np.zeros((2, 4), np.float32)), to_gpu(np.array([1, 3], np.int32)))
        >>> round(err, 4)  # log(4)
        1.3863
    """

    def __init__(self, maxlabels=None, weights=None):
        super().__init__()
        self.maxlabels = checkMaxlabels("CrossEntropy", maxlabels)
        if weights is not None:
            try:
                weights = xp.asarray(weights, dtype=xp.float32).reshape(-1)
            except (TypeError, ValueError):
                raise CostError("CrossEntropy: weights must be a sequence of numbers (one per class), got %r" % (weights,)) from None
            if not bool(xp.isfinite(weights).all()) or bool((weights < 0).any()):
                raise CostError("CrossEntropy: class weights must be finite and non-negative, got %r" % (
                    weights.tolist(),))
            if maxlabels is not None and weights.size != maxlabels:
                raise CostError("CrossEntropy: expected %d weights (maxlabels), got %d" % (maxlabels, weights.size))
        self.weights = weights
        self.mostProb = None

    def calcErrorAndGrad(self, pred, target):
        checkLabelRange(self, target, pred.shape[1])
        grad = self._gradBuffer(pred)
        weights = None if self.weights is None else self.weights.astype(pred.dtype, copy=False)
        kernel = getattr(kernels, "crossEntropyGradError", None)
        if kernel is None:  # a backend without the fused kernel: compose it from xp
            return _crossEntropyGradError(pred, target, grad, weights), grad
        return kernel(pred, target, grad, weights), grad

    def _planGrad(self, pred):
        kernel = getattr(kernels, "crossEntropyGradError", None)
        current, read = self._plannedPrediction(pred)
        if not self._runsContractOf(CrossEntropy) or kernel is None or getattr(current, "ndim", 0) < 2:
            return None
        grad = self._gradBuffer(current)
        g = kernels.plain(grad)
        weights = None if self.weights is None else self.weights.astype(current.dtype, copy=False)
        classes = current.shape[1]

        def errorAndGrad(target):
            checkLabelRange(self, target, classes)
            return kernel(read(), target, g, weights)

        return errorAndGrad, grad

    def _checkTargetsFor(self, module, data, target):
        return checkLabelsFor(self, module, data, target)

    def calcVal(self, pred, target):
        checkLabelRange(self, target, pred.shape[1])
        self.mostProb = gpuarray.asDevice(xp.argmax(pred, axis=1).astype(xp.int32))
        return argmaxErrorRate(pred, target)

    def checkValDataShape(self, predShape, targetShape):
        checkScoresAndLabels(self, predShape, targetShape, self.maxlabels)

    def checkDataShape(self, predShape, targetShape):
        checkScoresAndLabels(self, predShape, targetShape, self.maxlabels)
        if self.weights is not None and self.weights.size != predShape[1]:
            raise self._error("has %d class weights, got scores for %d classes (shape %s)" % (
                self.weights.size, predShape[1], tuple(predShape)))

    def checkDataType(self, predDtype, targetDtype):
        checkFloatAndInt(self, predDtype, targetDtype)

    def __str__(self):
        args = []
        if self.maxlabels is not None:
            args.append("maxlabels=%d" % self.maxlabels)
        if self.weights is not None:
            args.append("weights=%d classes" % self.weights.size)
        return "CrossEntropy(%s)" % ", ".join(args)

    __repr__ = __str__
