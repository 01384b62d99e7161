"""Slow, obviously-correct loop references for the image modules' tests (float64, numpy)."""
import itertools

import numpy as np


def convRef(x, W, b, stride, pad, dilation, groups):
    """N-d convolution by explicit loops over output positions."""
    nd = x.ndim - 2
    N, C = x.shape[:2]
    O = W.shape[0]
    K = W.shape[2:]
    xpad = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    outShape = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                     for n, k, s, p, d in zip(x.shape[2:], K, stride, pad, dilation))
    out = np.zeros((N, O) + outShape)
    cg, og = C // groups, O // groups
    for pos in itertools.product(*(range(o) for o in outShape)):
        window = tuple(slice(i * s, i * s + d * (k - 1) + 1, d) for i, s, d, k in zip(pos, stride, dilation, K))
        for o in range(O):
            g = o // og
            patch = xpad[(slice(None), slice(g * cg, (g + 1) * cg)) + window]
            out[(slice(None), o) + pos] = np.sum(patch * W[o], axis=tuple(range(1, nd + 2)))
    if b is not None:
        out += b
    return out


def poolRef(x, size, stride, pad, mode, includePad=True):
    """N-d max / average pooling by explicit loops over output positions."""
    fill = -np.inf if mode == "max" else 0.0
    xpad = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad], constant_values=fill)
    ones = np.pad(np.ones(x.shape[2:]), [(p, p) for p in pad])
    outShape = tuple((n + 2 * p - k) // s + 1 for n, k, s, p in zip(x.shape[2:], size, stride, pad))
    out = np.zeros(x.shape[:2] + outShape)
    nd = len(size)
    axes = tuple(range(2, nd + 2))
    for pos in itertools.product(*(range(o) for o in outShape)):
        window = tuple(slice(i * s, i * s + k) for i, s, k in zip(pos, stride, size))
        patch = xpad[(slice(None), slice(None)) + window]
        if mode == "max":
            value = patch.max(axis=axes)
        else:
            count = np.prod(size) if includePad else ones[window].sum()
            value = patch.sum(axis=axes) / count
        out[(slice(None), slice(None)) + pos] = value
    return out


def heldBytes(obj, dtype, seen=None):
    """Bytes of numpy arrays of ``dtype`` reachable from ``obj`` through its attributes, dicts,
    lists and tuples (to check that a module lets go of buffers it no longer uses)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.nbytes if obj.dtype == dtype else 0
    if isinstance(obj, dict):
        return sum(heldBytes(k, dtype, seen) + heldBytes(v, dtype, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return sum(heldBytes(v, dtype, seen) for v in obj)
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        return heldBytes(vars(obj), dtype, seen)
    return 0
