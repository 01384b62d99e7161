"""Loop references for the local normalisations (CrossMapLRN, MapLRN, SubtractMean, LCN), float64.

Window at position i: i - (size - 1) // 2 .. i + size // 2, clipped to the data.
"""
import itertools

import numpy as np


def window(i, size, length):
    return range(max(0, i - (size - 1) // 2), min(length, i + size // 2 + 1))


def crossMapRef(x, N, alpha, beta, K):
    n_, C, H, W = x.shape
    y = np.zeros(x.shape)
    for n, c, h, w in itertools.product(range(n_), range(C), range(H), range(W)):
        s = sum(x[n, j, h, w] ** 2 for j in window(c, N, C))
        y[n, c, h, w] = x[n, c, h, w] / (K + alpha / N * s) ** beta
    return y


def mapRef(x, N, alpha, beta, K):
    n_, C, H, W = x.shape
    y = np.zeros(x.shape)
    for n, c, h, w in itertools.product(range(n_), range(C), range(H), range(W)):
        s = sum(x[n, c, i, j] ** 2 for i in window(h, N, H) for j in window(w, N, W))
        y[n, c, h, w] = x[n, c, h, w] / (K + alpha / N ** 2 * s) ** beta
    return y


def subtractMeanRef(x, size, includePad):
    n_, C, H, W = x.shape
    y = np.zeros(x.shape)
    for n, c, h, w in itertools.product(range(n_), range(C), range(H), range(W)):
        vals = [x[n, c, i, j] for i in window(h, size, H) for j in window(w, size, W)]
        y[n, c, h, w] = x[n, c, h, w] - sum(vals) / (size * size if includePad else len(vals))
    return y


def lcnRef(x, N, alpha, beta, K, includePad):
    """x divided by (K + alpha / N**2 * its window's squared spread about the window's mean) ** beta."""
    n_, C, H, W = x.shape
    y = np.zeros(x.shape)
    for n, c, h, w in itertools.product(range(n_), range(C), range(H), range(W)):
        vals = [x[n, c, i, j] for i in window(h, N, H) for j in window(w, N, W)]
        mean = sum(vals) / (N * N if includePad else len(vals))
        spread = sum((v - mean) ** 2 for v in vals)
        y[n, c, h, w] = x[n, c, h, w] / (K + alpha / N ** 2 * spread) ** beta
    return y
