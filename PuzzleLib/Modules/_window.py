"""Sliding-window sums along axes, for the local normalisations (private).

Window convention (the same for every module here): a window of ``size`` elements at position
``i`` covers ``i - (size - 1) // 2 .. i + size // 2``, the positions outside the data count as
zeros. For odd sizes that is centred; for even sizes it reaches one further forward. This is the
across-channel window of Caffe and cuDNN.

A window sum is ``size`` whole-array adds of shifted slices (one per offset in the window, never
one per element), exact in the data's dtype. Its adjoint (for the backward pass) is the window
sum with the two reaches swapped.
"""
from PuzzleLib.Backend import gpuarray

xp = gpuarray.xp


def reaches(size, transpose=False):
    """(back, forward): how far a window of ``size`` reaches before and after its position;
    ``transpose`` gives the adjoint window's."""
    back, forward = (size - 1) // 2, size // 2
    return (forward, back) if transpose else (back, forward)


def windowSum(x, axis, size, transpose=False):
    """A new array: along ``axis``, the sum of ``x`` over the window of ``size`` at each position
    (zeros outside); ``transpose`` sums over the adjoint window."""
    back, forward = reaches(size, transpose)
    length = x.shape[axis]
    out = x.copy()
    head = (slice(None),) * (axis % x.ndim)
    for d in range(-back, forward + 1):
        if d == 0 or abs(d) >= length:
            continue
        if d > 0:
            out[head + (slice(0, length - d),)] += x[head + (slice(d, length),)]
        else:
            out[head + (slice(-d, length),)] += x[head + (slice(0, length + d),)]
    return out


def spatialWindowSum(x, size, transpose=False):
    """Sum over the ``size`` x ``size`` window of the last two axes (zeros outside)."""
    return windowSum(windowSum(x, -2, size, transpose), -1, size, transpose)


def inverseCounts(height, width, size, includePad, dtype):
    """1 / (elements averaged by each ``size`` x ``size`` window) over an (height, width) map:
    the number ``1 / size**2`` with ``includePad``, else an (height, width) array counting only
    positions inside the map."""
    if includePad:
        return 1.0 / (size * size)
    rows = windowSum(xp.ones(height, dtype=dtype), 0, size)
    cols = windowSum(xp.ones(width, dtype=dtype), 0, size)
    return 1.0 / (rows.reshape(-1, 1) * cols.reshape(1, -1))


def cachedInverseCounts(cache, shape, size, includePad, dtype):
    """``inverseCounts`` for the map of an (..., height, width) ``shape``, kept in the dict
    ``cache`` (one entry per map size and dtype; the module clears it on ``calcMode``)."""
    key = (tuple(shape[-2:]), xp.dtype(dtype).name)
    inv = cache.get(key)
    if inv is None:
        inv = inverseCounts(shape[-2], shape[-1], size, includePad, dtype)
        cache[key] = inv
    return inv


def localMean(x, size, invCounts):
    """The mean of each ``size`` x ``size`` window of the last two axes of ``x``."""
    out = spatialWindowSum(x, size)
    out *= invCounts
    return out


def localMeanAdjoint(grad, size, invCounts):
    """The adjoint of ``localMean``: the gradient with respect to its input."""
    return spatialWindowSum(grad * invCounts, size, transpose=True)
