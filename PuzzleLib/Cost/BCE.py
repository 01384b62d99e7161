"""BCE: binary cross-entropy on raw scores (the sigmoid is applied inside)."""
from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._fused import _FusedCost
from PuzzleLib.Cost._labels import checkFloatAndBinary

xp = gpuarray.xp


class BCE(_FusedCost):
    """Binary cross-entropy of raw scores ``s`` against targets ``t`` in [0, 1]:
    ``error = mean(-t log sigmoid(s) - (1 - t) log(1 - sigmoid(s)))`` over all elements, computed
    stably from the scores.

    The gradient handed back is ``(t - sigmoid(s)) / N``. ``validate`` returns the error rate: the
    fraction of elements where ``s > 0`` disagrees with ``t > 0.5``.

    Shape
    -----
    pred: raw scores, any shape; target: the same shape, or pred's shape without its axis 1 when
    that axis has size 1 (pred (N, 1) with target (N,), pred (N, 1, H, W) with target (N, H, W));
    float probabilities of pred's dtype or integer 0/1 labels (a target outside [0, 1] is refused,
    as PuzzleLib 1.0 refuses it with ``Config.verifyData``).

    Example::

        >>> err, grad = BCE()(to_gpu(np.zeros((2, 1), np.float32)), to_gpu(np.array([0, 1], np.int32)))
        >>> round(err, 4), grad.get().ravel()  # log(2)
        (0.6931, array([-0.25,  0.25], dtype=float32))
    """

    def _checkRange(self, target):
        if Config.disableDtypeShapeChecks or target.size == 0 or self._targetsVerified:
            return
        lo, hi = float(target.min()), float(target.max())
        if not (lo >= 0 and hi <= 1):
            raise self._error("expected targets in [0, 1] (probabilities or 0/1 labels), got values in [%g, %g]" % (lo, hi))

    def _checkTargetsFor(self, module, data, target):
        self._checkRange(target)
        return True

    def _target(self, pred, target):
        self._checkRange(target)
        t = target.reshape(pred.shape)
        return t if t.dtype == pred.dtype else t.astype(pred.dtype)

    def calcErrorAndGrad(self, pred, target):
        t = self._target(pred, target)
        # -t s + log(1 + e^s) = max(s, 0) - t s + log(1 + e^-|s|)
        error = (xp.maximum(pred, 0) - t * pred + xp.log1p(xp.exp(-xp.abs(pred)))).mean()
        grad = self._gradBuffer(pred)
        xp.multiply(pred, 0.5, out=grad)
        xp.tanh(grad, out=grad)
        grad += 1.0
        grad *= 0.5  # sigmoid(s) = (1 + tanh(s / 2)) / 2, without overflow
        xp.subtract(t, grad, out=grad)
        grad *= 1.0 / grad.size
        return error, grad

    def calcVal(self, pred, target):
        t = self._target(pred, target)
        return ((pred > 0) != (t > 0.5)).astype(xp.float64).mean()

    def checkDataShape(self, predShape, targetShape):
        predShape, targetShape = tuple(predShape), tuple(targetShape)
        squeezed = len(predShape) >= 2 and predShape[1] == 1 and targetShape == predShape[:1] + predShape[2:]
        if targetShape != predShape and not squeezed:
            raise self._error("expected target of the prediction's shape %s, got %s" % (predShape, targetShape))

    def checkDataType(self, predDtype, targetDtype):
        checkFloatAndBinary(self, predDtype, targetDtype, "targets")
