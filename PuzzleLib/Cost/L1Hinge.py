"""L1Hinge: a contrastive error for pairs of embeddings under the L1 distance."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._labels import dtypeName
from PuzzleLib.Cost._listcost import _ListCost
from PuzzleLib.Modules._validate import typeName

xp = gpuarray.xp

MARGIN = 1.0


class L1Hinge(_ListCost):
    """Contrastive hinge error for siamese nets. The prediction is a pair ``[x1, x2]`` of
    embeddings; with ``d = sum_k |x1 - x2|`` (per sample), a pair labelled 1 ("same") costs ``d``
    and a pair labelled 0 ("different") costs ``max(0, 1 - d)``; the error is the mean over the
    batch.

    The gradient handed back is a list ``[g1, g2]`` of negative gradients (``g2 = -g1``).
    ``validate`` returns the error rate: a pair counts as "same" when ``d < 0.5``.

    Shape
    -----
    pred: [(N, D), (N, D)] (or any equal shapes, batch first); target: (N,) int32 labels, 1 or 0
    (any positive label counts as "same", zero or negative as "different", as in Hinge).

    Example::

        >>> x1 = to_gpu(np.array([[0.0, 0.0]], np.float32)); x2 = to_gpu(np.array([[0.25, 0.0]], np.float32))
        >>> L1Hinge()([x1, x2], to_gpu(np.array([0], np.int32)))[0]  # different pair at distance 0.25
        0.75
    """

    def _terms(self, pred):
        x1, x2 = pred
        diff = x1 - x2
        axes = tuple(range(1, diff.ndim))
        dist = xp.abs(diff).sum(axis=axes) if axes else xp.abs(diff)
        return diff, dist

    def calcErrorAndGrad(self, pred, target):
        diff, dist = self._terms(pred)
        same = (target > 0).astype(diff.dtype)
        near = (dist < MARGIN).astype(diff.dtype)
        n = diff.shape[0]
        error = (same * dist + (1.0 - same) * xp.maximum(MARGIN - dist, 0)).sum() / n
        # d error / d x1 = sign(diff) * (same - (1 - same) * near)
        coef = (same - (1.0 - same) * near).reshape((n,) + (1,) * (diff.ndim - 1))
        g1 = xp.sign(diff)
        g1 *= coef
        g1 *= -1.0 / n
        return error, [g1, -g1]

    def calcVal(self, pred, target):
        _, dist = self._terms(pred)
        return ((dist < 0.5 * MARGIN) != (target > 0)).astype(xp.float64).mean()

    def _checkLists(self, pred, target, validation):
        if not isinstance(pred, (list, tuple)) or len(pred) != 2:
            raise self._error("expected a pair [x1, x2] of embeddings as prediction, got %s" % typeName(pred))
        try:
            shapes = [tuple(p.shape) for p in pred]
            dtypes = [p.dtype for p in pred]
            tshape, tdtype = tuple(target.shape), target.dtype
        except AttributeError:
            raise self._error("expected device arrays for the pair and the labels") from None
        if shapes[0] != shapes[1] or len(shapes[0]) < 1:
            raise self._error("expected two embeddings of one shape, got %s and %s" % (shapes[0], shapes[1]))
        if dtypes[0] != dtypes[1] or xp.dtype(dtypes[0]).kind != "f":
            raise self._error("expected two floating-point embeddings of one dtype, got %s and %s" % (
                dtypeName(dtypes[0]), dtypeName(dtypes[1])))
        if tshape != shapes[0][:1]:
            raise self._error("expected labels of shape %s (one per pair), got %s" % (shapes[0][:1], tshape))
        if xp.dtype(tdtype).kind not in "iu":
            raise self._error("expected integer (int32) labels, got dtype %s" % dtypeName(tdtype))
