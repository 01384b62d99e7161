"""Batch orders for the loops written by hand (PyTorch, the numpy net), drawn as the Trainer draws them.

PuzzleLib's Trainer visits the macro-batches in a random order and, inside each, the batches in a
random order (contiguous slices, the last one possibly short). The other libraries' loops use the
same order so that every library does the same number of steps of the same sizes.
"""
import math

import numpy as np


def batchSlices(n, batch, rng):
    """(start, stop) of each batch of ``n`` samples, in a random order."""
    total = int(math.ceil(n / batch))
    return [(int(i) * batch, min(n, (int(i) + 1) * batch)) for i in rng.permutation(total)]


def macroBatchSlices(n, macro, batch, rng):
    """The batches of one epoch of ``trainFromHost(..., macroBatchSize=macro)``: a list of macro-batches,
    each a list of (start, stop) in absolute sample positions."""
    totalMacro = int(math.ceil(n / macro))
    epoch = []
    for m in rng.permutation(totalMacro):
        start = int(m) * macro
        size = min(n, start + macro) - start
        epoch.append([(start + a, start + b) for a, b in batchSlices(size, batch, rng)])
    return epoch


def newRng(seed=1234):
    return np.random.RandomState(seed)
