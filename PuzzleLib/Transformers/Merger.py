"""Merger: mixes several data sets into labelled chunks."""
import numbers
import random

import numpy as np

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Provider import Provider


class Merger(Provider):
    """Mixes ``datasets`` (array-likes with one per-sample shape) into chunks: per chunk each set
    contributes its share of ``chunksize`` given by ``ratios`` (floor for all but the last, which
    takes the rest; the caller's list is overwritten with the counts). Without ``randomize`` each set
    is read sequentially from its own cursor, wrapping around (a set smaller than its count gives
    only its length, and a chunk size above the total is clipped); with it, samples are drawn with
    replacement. ``permutate`` shuffles the rows of the chunk, otherwise set 0's rows come first.
    With ``labelIds`` (one int per set) chunks are ``(data, labels)``, labels int32 the id of the
    set each row came from.

    Parameters
    ----------
    datasets : list of array-like
    labelIds : list of int, optional
    numofthreads : int
        Worker processes (see Provider).

    Example::

        >>> merger = Merger([np.zeros((4, 2)), np.ones((4, 2))], labelIds=[0, 1], numofthreads=1)
        >>> merger.prepareData(ratios=[3, 1], chunksize=4, permutate=False)
        >>> merger.getData()[1]
        array([0, 0, 0, 1], dtype=int32)
        >>> merger.closePool()
    """

    def __init__(self, datasets, labelIds=None, numofthreads=4):
        if not isinstance(datasets, (list, tuple)) or not datasets or not all(hasattr(d, "shape") for d in datasets):
            raise TransformerError("Merger: datasets must be a non-empty list of array-likes, got %r" % (
                type(datasets).__name__,))
        if len({tuple(d.shape[1:]) for d in datasets}) != 1:
            raise TransformerError("Merger: Datasets must have same shapes (per sample), got %s" % (
                [tuple(d.shape[1:]) for d in datasets],))
        if any(d.shape[0] == 0 for d in datasets):
            raise TransformerError("Merger: a dataset is empty")
        if labelIds is not None and (not isinstance(labelIds, (list, tuple)) or len(labelIds) != len(datasets) or
                                     not all(isinstance(i, numbers.Integral) for i in labelIds)):
            raise TransformerError("Merger: labelIds must be one int per dataset (%d), got %r" % (
                len(datasets), labelIds))
        super().__init__(numofthreads)
        self.datasets, self.labelIds = list(datasets), labelIds
        self.indices = [0] * len(datasets)

    def prepareData(self, ratios=None, chunksize=20000, randomize=False, permutate=True):
        """Starts preparing the next chunk (note ``ratios`` comes first, as in PuzzleLib 1.0)."""
        super().prepareData(chunksize, ratios=ratios, randomize=randomize, permutate=permutate)

    def getNextChunk(self, chunksize, ratios=None, randomize=False, permutate=True, **kwargs):
        k = len(self.datasets)
        if ratios is None:
            ratios = [1] * k
        if not isinstance(ratios, list) or len(ratios) != k or not all(
                isinstance(r, numbers.Real) and r >= 0 for r in ratios) or sum(ratios) <= 0:
            raise TransformerError("Merger: ratios must be a list of %d non-negative numbers, got %r" % (k, ratios))
        if not randomize:
            chunksize = min(chunksize, sum(d.shape[0] for d in self.datasets))
        total = float(sum(ratios))
        counts = [int(chunksize * r / total) for r in ratios[:-1]]
        counts.append(chunksize - sum(counts))
        ratios[:] = counts

        parts, labels = [], []
        for i, (dataset, count) in enumerate(zip(self.datasets, counts)):
            n = dataset.shape[0]
            if randomize:
                rows = [random.randint(0, n - 1) for _ in range(count)]
                # row by row: h5py datasets take no repeated indices
                part = np.stack([np.asarray(dataset[r]) for r in rows]) if rows else np.asarray(dataset[0:0])
            else:
                count = min(count, n)
                start = self.indices[i]
                if start + count <= n:
                    part = np.asarray(dataset[start:start + count])
                else:
                    part = np.concatenate([dataset[start:], dataset[:start + count - n]])
                self.indices[i] = (start + count) % n
            parts.append(part)
            if self.labelIds is not None:
                labels.append(np.full(len(part), self.labelIds[i], dtype=np.int32))
        data = np.concatenate(parts)
        labels = np.concatenate(labels) if self.labelIds is not None else None
        if permutate:
            perm = np.random.permutation(len(data))
            data = data[perm]
            labels = labels[perm] if labels is not None else None
        return data if labels is None else (data, labels)
