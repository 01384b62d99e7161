"""L1Hinge: a contrastive error for pairs of embeddings under the L1 distance."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._labels import dtypeName
from PuzzleLib.Cost._listcost import _ListCost
from PuzzleLib.Modules._validate import typeName

xp = gpuarray.xp

MARGIN = 1.0


class L1Hinge(_ListCost):
    """Contrastive hinge error for siamese nets, element by element as in PuzzleLib 1.0. The
    prediction is a pair ``[x1, x2]`` of embeddings; with ``d = |x1 - x2|`` per element, an element
    of a pair labelled 1 ("same") costs ``d`` and one of a pair labelled 0 ("different") costs
    ``max(0, 1 - d)``; the error is the mean over every element.

    The gradient handed back is a list ``[g1, g2]`` of negative gradients (``g2 = -g1``), which
    updates add. (PuzzleLib 1.0 hands back the error's gradient itself here, unlike its other
    costs, so training with it raises the error; see COMPATIBILITY.md.) ``validate`` returns the
    error rate: a pair counts as "same" when the mean of ``d`` over its elements is at most 1.

    Shape
    -----
    pred: [(N, D), (N, D)] (or any equal shapes, batch first); target: (N,) int32 labels, 1 or 0
    (any positive label counts as "same", zero or negative as "different", as in Hinge).

    Example::

        >>> x1 = to_gpu(np.array([[0.0, 0.0]], np.float32)); x2 = to_gpu(np.array([[0.25, 0.0]], np.float32))
        >>> L1Hinge()([x1, x2], to_gpu(np.array([0], np.int32)))[0]  # (max(0, 1 - 0.25) + max(0, 1 - 0)) / 2
        0.875
    """

    def calcErrorAndGrad(self, pred, target):
        x1, x2 = pred
        diff = x1 - x2
        dist = xp.abs(diff)
        same = (target > 0).astype(diff.dtype).reshape((diff.shape[0],) + (1,) * (diff.ndim - 1))
        near = (dist < MARGIN).astype(diff.dtype)
        error = (same * dist + (1.0 - same) * xp.maximum(MARGIN - dist, 0)).mean()
        # d error / d x1 = sign(diff) * (same - (1 - same) * near), sign(0) taken as -1 as upstream does
        g1 = xp.where(diff > 0, 1.0, -1.0).astype(diff.dtype)
        g1 *= same - (1.0 - same) * near
        g1 *= -1.0 / diff.size
        return error, [gpuarray.asDevice(g1), gpuarray.asDevice(-g1)]

    def calcVal(self, pred, target):
        x1, x2 = pred
        dist = xp.abs(x1 - x2).reshape(x1.shape[0], -1).mean(axis=1)
        return ((dist <= MARGIN) != (target > 0)).astype(xp.float64).mean()

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
