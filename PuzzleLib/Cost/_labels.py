"""Helpers shared by the classification costs (CrossEntropy, SVM, KLDivergence, BCE, Hinge)."""
from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import CostError

xp = gpuarray.xp


def dtypeName(dtype):
    return xp.dtype(dtype).name


def checkScoresAndLabels(cost, predShape, targetShape, maxlabels=None):
    """pred (N, C[, ...]) against int labels (N[, ...])."""
    predShape, targetShape = tuple(predShape), tuple(targetShape)
    if len(predShape) < 2:
        raise cost._error("expected scores of shape (N, classes[, ...]), got %d-d shape %s" % (len(predShape), predShape))
    expected = predShape[:1] + predShape[2:]
    if targetShape != expected:
        raise cost._error("expected labels of shape %s for scores of shape %s, got %s" % (expected, predShape, targetShape))
    if maxlabels is not None and predShape[1] != maxlabels:
        raise cost._error("expected scores for maxlabels=%d classes (axis 1), got shape %s" % (maxlabels, predShape))


def checkMaxlabels(costname, maxlabels):
    """Refuse a ``maxlabels`` constructor argument that is not a positive int or None."""
    if maxlabels is not None and (isinstance(maxlabels, bool) or not isinstance(maxlabels, int) or maxlabels <= 0):
        raise CostError("%s: maxlabels must be a positive integer or None, got %r" % (costname, maxlabels))
    return maxlabels


def checkFloatScores(cost, predDtype):
    if xp.dtype(predDtype).kind != "f":
        raise cost._error("expected floating-point scores, got dtype %s" % dtypeName(predDtype))


def checkFloatAndInt(cost, predDtype, targetDtype):
    checkFloatScores(cost, predDtype)
    if xp.dtype(targetDtype).kind not in "iu":
        raise cost._error("expected integer (int32) labels, got dtype %s" % dtypeName(targetDtype))


def checkFloatAndBinary(cost, predDtype, targetDtype, what):
    """Float scores, and ``what`` (targets or labels) of the scores' dtype or an integer dtype."""
    checkFloatScores(cost, predDtype)
    if targetDtype != predDtype and xp.dtype(targetDtype).kind not in "iu":
        raise cost._error("expected %s of dtype %s or integer labels, got %s" % (
            what, dtypeName(predDtype), dtypeName(targetDtype)))


def checkLabelRange(cost, target, classes):
    """Refuse labels outside [0, classes) (skipped with Config.disableDtypeShapeChecks, and while
    a handler drives the cost over labels it has checked whole: each check reads device memory)."""
    if Config.disableDtypeShapeChecks or target.size == 0 or cost._targetsVerified:
        return
    lo, hi = int(target.min()), int(target.max())
    if lo < 0 or hi >= classes:
        raise cost._error("labels must lie in [0, %d) for %d classes, got values in [%d, %d]" % (classes, classes, lo, hi))


def checkLabelsFor(cost, module, data, target):
    """A handler's whole-set check of the labels (see Cost._checkTargetsFor): the class count
    comes from the module's output shape for the data, without computing; when the module cannot
    tell it, the per-batch checks alone remain. True when the labels were checked."""
    if Config.disableDtypeShapeChecks or xp.dtype(target.dtype).kind not in "iu":
        return False  # a wrong dtype is refused by the first batch's checks, before any update
    try:
        shape = module.dataShapeFrom(tuple(data.shape))
    except Exception:
        return False
    if not isinstance(shape, tuple) or len(shape) < 2:
        return False
    checkLabelRange(cost, target, shape[1])
    return True


def softmax(scores, axis=1):
    """(probabilities, log-sum-exp shifted scores): softmax along `axis`, computed stably."""
    shifted = scores - scores.max(axis=axis, keepdims=True)
    e = xp.exp(shifted)
    s = e.sum(axis=axis, keepdims=True)
    e /= s
    return e, shifted - xp.log(s)


def oneHot(target, classes, dtype):
    """(N, classes[, ...]) indicator of the labels (N[, ...])."""
    shape = (1, classes) + (1,) * (target.ndim - 1)
    return (xp.arange(classes).reshape(shape) == xp.expand_dims(target, 1)).astype(dtype)


def argmaxErrorRate(pred, target):
    """Fraction of positions where argmax over axis 1 misses the label."""
    return xp.mean((xp.argmax(pred, axis=1) != target).astype(xp.float64))
