"""KLDivergence: the Kullback-Leibler divergence from a target distribution to softmax(pred)."""
from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost
from PuzzleLib.Cost._labels import checkFloatScores, checkMaxlabels, softmax

xp = gpuarray.xp


class KLDivergence(_FusedCost):
    """``error = mean_i sum_c t_ic * (log t_ic - log softmax(pred_i)_c)`` (0 log 0 = 0), the mean
    over every position i of the batch and any trailing axes; the class axis is axis 1.

    The gradient handed back is ``(t - softmax(pred) * sum_c t) / count`` (``t - softmax(pred)``
    per position when the targets sum to 1).

    Parameters
    ----------
    maxlabels : int, optional
        Number of classes; when given, axis 1 must have this size.
    normTarget : bool
        The target holds raw scores (a teacher net's output, say): its softmax over the class axis
        is the target distribution, as in PuzzleLib 1.0.

    Shape
    -----
    pred: (N, classes[, ...]) raw scores; target: the same shape, pred's dtype; without normTarget
    a non-negative distribution (a negative value is refused).

    Example::

        >>> t = to_gpu(np.array([[0.5, 0.5]], np.float32))
        >>> KLDivergence()(to_gpu(np.zeros((1, 2), np.float32)), t)[0]
        0.0
    """

    def __init__(self, maxlabels=None, normTarget=False):
        super().__init__()
        self.maxlabels = checkMaxlabels("KLDivergence", maxlabels)
        self.normTarget = bool(normTarget)

    def _checkTarget(self, target):
        """Refuse a target that is no distribution (a negative value); a normTarget target holds
        scores, any value. Skipped while a handler drives the cost over targets it checked whole."""
        if self.normTarget or Config.disableDtypeShapeChecks or target.size == 0 or self._targetsVerified:
            return
        lo = float(target.min())
        if not lo >= 0:
            raise self._error("expected a non-negative target distribution, got a minimum of %g" % lo)

    def _checkTargetsFor(self, module, data, target):
        if getattr(target, "ndim", 0) >= 2 and target.dtype.kind == "f":  # else the first batch's checks refuse it
            self._checkTarget(target)
            return True
        return False

    def _target(self, target):
        if self.normTarget:
            return softmax(target)[0]
        self._checkTarget(target)
        return target

    def calcErrorAndGrad(self, pred, target):
        t = self._target(target)
        probs, logp = softmax(pred)
        count = pred.size // pred.shape[1]
        tlogt = xp.where(t > 0, t * xp.log(xp.where(t > 0, t, 1)), 0)
        error = (tlogt - t * logp).sum() / count
        grad = self._gradBuffer(pred)
        xp.multiply(probs, t.sum(axis=1, keepdims=True), out=grad)
        xp.subtract(t, grad, out=grad)
        grad *= 1.0 / count
        return error, grad

    def checkDataShape(self, predShape, targetShape):
        predShape, targetShape = tuple(predShape), tuple(targetShape)
        if len(predShape) < 2:
            raise self._error("expected scores of shape (N, classes[, ...]), got %d-d shape %s" % (len(predShape), predShape))
        if targetShape != predShape:
            raise self._error("expected a target distribution of the scores' shape %s, got %s" % (predShape, targetShape))
        if self.maxlabels is not None and predShape[1] != self.maxlabels:
            raise self._error("expected scores for maxlabels=%d classes (axis 1), got shape %s" % (self.maxlabels, predShape))

    def checkDataType(self, predDtype, targetDtype):
        checkFloatScores(self, predDtype)
        super().checkDataType(predDtype, targetDtype)

    def __str__(self):
        args = []
        if self.maxlabels is not None:
            args.append("maxlabels=%d" % self.maxlabels)
        if self.normTarget:
            args.append("normTarget=True")
        return "KLDivergence(%s)" % ", ".join(args)

    __repr__ = __str__
