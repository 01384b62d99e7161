"""Confusion matrices and the precision, recall and accuracy computed from them."""
import numpy as np

from PuzzleLib.Errors import PuzzleLibError


class StatisticsError(PuzzleLibError, ValueError):
    """Labels or predictions the statistics cannot take."""


def _ints(values, what):
    ary = np.asarray(values)
    if ary.ndim != 1 or (ary.size and not np.issubdtype(ary.dtype, np.integer)) or (ary.size and ary.min() < 0):
        raise StatisticsError("Statistics: %s must be a 1-d sequence of non-negative integer labels, got %s %s" % (
            what, ary.dtype, ary.shape))
    return ary.astype(np.int64)


def confusion(labels, predictions, dim=0, log=True):
    """The confusion matrix as a list of lists, ``cm[true][predicted]``.

    Parameters
    ----------
    labels, predictions : sequences of int
    dim : int
        Number of classes; 0 means the largest label in either input + 1.
    log : bool
        Print the matrix.

    Example::

        >>> confusion([0, 1, 1, 2], [0, 1, 2, 2], log=False)
        [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    labels, predictions = _ints(labels, "labels"), _ints(predictions, "predictions")
    if len(labels) != len(predictions):
        raise StatisticsError("Statistics: %d labels but %d predictions" % (len(labels), len(predictions)))
    if dim == 0:
        dim = int(max(labels.max(initial=-1), predictions.max(initial=-1))) + 1
    if labels.size and max(labels.max(), predictions.max()) >= dim:
        raise StatisticsError("Statistics: labels must be below dim=%d, got %d" % (
            dim, max(labels.max(), predictions.max())))
    cm = np.zeros((dim, dim), dtype=np.int64)
    np.add.at(cm, (labels, predictions), 1)
    cm = cm.tolist()
    if log:
        print("Confusion matrix (rows: true, columns: predicted):")
        for row in cm:
            print(" ".join("%6d" % v for v in row))
    return cm


def _ratio(cm, axis, what, log, verbose):
    cm = np.asarray(cm, dtype=np.float64)
    sums = cm.sum(axis=axis)
    diag = np.diag(cm)
    per = [float(d / s) if s else 1.0 for d, s in zip(diag, sums)]
    mean = float(np.mean(per)) if per else 1.0
    if log:
        if verbose:
            for i, v in enumerate(per):
                print("Class %d %s: %.4f" % (i, what, v))
        print("Mean %s: %.4f" % (what, mean))
    return mean, per


def precision(cm, log=True, verbose=True):
    """(mean over classes, per-class list); class i's precision is ``cm[i][i]`` over column i's
    sum (1.0 for an empty column).

    Example::

        >>> precision([[1, 0], [1, 2]], log=False)
        (0.75, [0.5, 1.0])
    """
    return _ratio(cm, 0, "precision", log, verbose)


def recall(cm, log=True, verbose=True):
    """(mean over classes, per-class list); class i's recall is ``cm[i][i]`` over row i's sum
    (1.0 for an empty row).

    Example::

        >>> recall([[1, 0], [1, 2]], log=False)
        (0.8333333333333333, [1.0, 0.6666666666666666])
    """
    return _ratio(cm, 1, "recall", log, verbose)


def accuracy(cm, log=True):
    """The trace over the total.

    Example::

        >>> accuracy([[1, 0], [1, 2]], log=False)
        0.75
    """
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum()
    acc = float(np.trace(cm) / total) if total else 1.0
    if log:
        print("Accuracy: %.4f" % acc)
    return acc


def fullstats(labels, predictions, dim=0, printing=True, verbose=True):
    """``(cm, mean precision, mean recall, per-class precisions, per-class recalls)``.

    Example::

        >>> fullstats([0, 1, 1], [0, 1, 0], printing=False)[1:3]
        (0.75, 0.75)
    """
    cm = confusion(labels, predictions, dim, log=printing)
    prec, precs = precision(cm, log=printing, verbose=verbose)
    rec, recs = recall(cm, log=printing, verbose=verbose)
    return cm, prec, rec, precs, recs
