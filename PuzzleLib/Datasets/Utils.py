"""Helpers around data sets: validation statistics, splitting, oversampling and shuffling."""
import numbers

import numpy as np

from PuzzleLib.Errors import DatasetError


def validate(net, valData, valLabels, dim=0, batchsize=128, log=False):
    """(mean precision, mean recall, accuracy) of ``net``'s argmax predictions on host data.

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> net = Linear(2, 2)
        >>> _ = net.W.set(np.eye(2, dtype=np.float32)); _ = net.b.fill(0)
        >>> validate(net, np.array([[1, 0], [0, 1], [0, 1]], np.float32), np.array([0, 1, 0], np.int32))
        (0.75, 0.75, 0.6666666666666666)
    """
    from PuzzleLib import Statistics
    from PuzzleLib.Handlers.Calculator import Calculator
    valLabels = np.asarray(checkShape(valData, valLabels))
    pred = Calculator(net, batchsize=batchsize).calcFromHost(valData)
    pred = np.asarray(pred.get() if hasattr(pred, "get") else pred)
    pred = pred.reshape(len(pred), -1).argmax(axis=1)
    dim = getDim(valLabels) if dim == 0 else dim
    cm = Statistics.confusion(valLabels, pred, dim, log=log)
    prec, _ = Statistics.precision(cm, log=log)
    rec, _ = Statistics.recall(cm, log=log)
    return prec, rec, Statistics.accuracy(cm, log=log)


def _take(data, idx):
    return data[idx] if isinstance(data, np.ndarray) else [data[i] for i in idx]


def splitData(data, labels=None, dim=0, validation=0.1, permutation=True, uniformVal=True):
    """Splits into training and validation parts after shuffling in place (``permutation``).

    Without labels: ``(train, val)``, val the first ``int(validation * n)`` rows. With labels:
    ``(trainData, valData, trainLabels, valLabels)``, the validation part taking the first k
    samples of each class, k = ``int(validation * smallest class count)`` (``uniformVal``) or
    ``int(validation * class count)``. Arrays give arrays, lists give lists; an empty part is None.

    Example::

        >>> train, val = splitData(np.arange(10), validation=0.2, permutation=False)
        >>> train, val
        (array([2, 3, 4, 5, 6, 7, 8, 9]), array([0, 1]))
    """
    if not (isinstance(validation, numbers.Real) and 0 <= validation <= 1):
        raise DatasetError("splitData: validation must be a fraction in [0, 1], got %r" % (validation,))
    if permutation:
        data, labels = permutateData(data, labels)
    if labels is None:
        k = int(validation * len(data))
        return data[k:] if len(data) > k else None, data[:k] if k else None
    checkShape(data, labels)
    lbl = np.asarray(labels)
    dim = getDim(lbl) if dim == 0 else dim
    counts = np.bincount(lbl.astype(np.int64), minlength=dim)
    present = counts[counts > 0]
    valIdx = []
    for c in range(dim):
        rows = np.flatnonzero(lbl == c)
        k = int(validation * (present.min() if uniformVal else len(rows))) if len(rows) else 0
        valIdx.extend(rows[:k].tolist())
    valIdx = sorted(valIdx)
    trainIdx = sorted(set(range(len(lbl))) - set(valIdx))
    parts = [_take(data, trainIdx), _take(data, valIdx), _take(labels, trainIdx), _take(labels, valIdx)]
    return tuple(p if len(p) else None for p in parts)


def replicateData(data, labels, dim=0, permutation=True):
    """Oversamples every class by repetition to the largest class's count, then shuffles
    (``permutation``); returns ``(data, labels)``.

    Example::

        >>> d, l = replicateData(np.arange(4), np.array([0, 0, 0, 1]), permutation=False)
        >>> d, l
        (array([0, 1, 2, 3, 3, 3]), array([0, 0, 0, 1, 1, 1]))
    """
    checkShape(data, labels)
    lbl = np.asarray(labels).astype(np.int64)
    dim = getDim(lbl) if dim == 0 else dim
    top = int(np.bincount(lbl, minlength=dim).max())
    idx = []
    for c in range(dim):
        rows = np.flatnonzero(lbl == c)
        if len(rows):
            idx.extend(np.resize(rows, top).tolist())
    data, labels = _take(data, idx), _take(labels, idx)
    if permutation:
        data, labels = permutateData(data, labels)
    return data, labels


def permutateData(data, labels=None, constantMemory=False):
    """Shuffles ``data`` (and ``labels`` with the same permutation) in place with
    ``np.random.permutation`` and returns ``(data, labels)``. ``constantMemory`` moves rows along
    the permutation's cycles instead of copying the whole array.

    Example::

        >>> np.random.seed(0); d = np.arange(5); permutateData(d)
        (array([2, 0, 1, 3, 4]), None)
    """
    if labels is not None:
        checkShape(data, labels)
    perm = np.random.permutation(len(data))
    for ary in (data, labels):
        if ary is None:
            continue
        if constantMemory and isinstance(ary, np.ndarray):
            _permuteCycles(ary, perm)
        elif isinstance(ary, np.ndarray):
            ary[...] = ary[perm]
        else:
            ary[:] = [ary[i] for i in perm]
    return data, labels


def _permuteCycles(ary, perm):
    seen = np.zeros(len(perm), dtype=bool)
    for start in range(len(perm)):
        if seen[start]:
            continue
        first = ary[start].copy()
        i = start
        while True:
            seen[i] = True
            j = perm[i]
            if j == start:
                ary[i] = first
                break
            ary[i] = ary[j]
            i = j


def checkShape(data, labels):
    """``labels`` after checking it has one entry per sample of ``data``."""
    if len(data) != len(labels):
        raise DatasetError("Datasets: %d samples but %d labels" % (len(data), len(labels)))
    return labels


def getDim(labels, log=False):
    """The number of classes: the largest label + 1.

    Example::

        >>> getDim(np.array([0, 3, 1]))
        4
    """
    lbl = np.asarray(labels)
    if lbl.size == 0 or not np.issubdtype(lbl.dtype, np.integer):
        raise DatasetError("getDim: labels must be a non-empty sequence of integers, got %s %s" % (
            lbl.dtype, lbl.shape))
    dim = int(lbl.max()) + 1
    if log:
        print("Number of classes: %d" % dim)
    return dim


def merge(data):
    """Each item's sentences (lists of tokens) joined into one token list."""
    return [[token for sentence in item for token in sentence] for item in data]


def merge2D(data):
    """``(flat, mesh)``: the items' rows one after another, and per item ``{"x1": start, "x2": end}``."""
    flat, mesh, pos = [], [], 0
    for item in data:
        flat.extend(item)
        mesh.append({"x1": pos, "x2": pos + len(item)})
        pos += len(item)
    return flat, mesh


def split2D(flat, mesh):
    """The inverse of ``merge2D``."""
    return [flat[m["x1"]:m["x2"]] for m in mesh]


def resizeDataToSize(lst, n):
    """``lst`` padded with "" to length ``n`` (longer lists are left as they are)."""
    return list(lst) + [""] * max(0, n - len(lst))
