"""Compiled CPU kernels for the passes numpy can only do as several whole-array passes (private).

Max-pooling over 2x2 windows at stride 2, batch normalisation's train-mode forward and backward
pass and the relu derivative are each one loop here, compiled by numba (the ``jit`` extra) on
first use and cached on disk: one read of the data instead of five to eight numpy passes, and the
statistics summed in float64 at no extra cost. ``kernel(name)`` gives the compiled function, or
None when numba is not installed; the modules then keep their plain numpy (or CuPy) path, which
the tests compare these kernels with. Only arrays of at least ``MIN_SIZE`` elements take them:
below that the numpy calls are as fast and a first call would pay for the compilation.

Single-threaded on purpose: numba's parallel loops need a threading layer that aborts the process
when two Python threads enter it at once (a web server training in a thread), and the one fused
pass is what earns the time.
"""
import math

import numpy as np

MIN_SIZE = 1 << 16

_compiled = {}
_numba = []  # [numba module or None], filled on first use


def _numbaModule():
    if not _numba:
        try:
            import numba
        except ImportError:
            numba = None
        _numba.append(numba)
    return _numba[0]


def available():
    """True when numba can be imported (the compiled kernels exist)."""
    return _numbaModule() is not None


def kernel(name):
    """The compiled kernel ``name`` (a function of this module without its leading underscore),
    or None without numba."""
    fn = _compiled.get(name)
    if fn is None:
        numba = _numbaModule()
        if numba is None:
            return None
        for helper in _SUMS:
            # the float64 sums may run in vector registers (reassoc: their order then differs from a
            # sequential loop's by float64 rounding only); the kernels themselves are compiled
            # without fast-math flags, so their elementwise parts round as numpy's passes do
            if not hasattr(globals()[helper], "py_func"):
                globals()[helper] = numba.njit(cache=True, nogil=True, fastmath={"reassoc"})(globals()[helper])
        fn = numba.njit(cache=True, nogil=True)(globals()["_" + name])
        _compiled[name] = fn
    return fn


def wanted(*arrays):
    """Whether the compiled path applies: numba present, the arrays large, C-contiguous and of one
    float32/float64 dtype (numba's own types; float16 keeps the numpy path)."""
    first = arrays[0]
    if first.size < MIN_SIZE or first.dtype not in (np.float32, np.float64):
        return False
    for a in arrays:
        if not a.flags.c_contiguous or a.dtype != first.dtype:
            return False
    return available()


# ---- max pooling, 2x2 windows at stride 2, no padding ---------------------------------------------

def _maxPool2x2(x, out, idx):
    """out[n, c, i, j] = max of the window x[n, c, 2i:2i+2, 2j:2j+2], idx = its first maximum's
    offset in the window (row-major, 0..3); a window holding a NaN gives NaN and idx -1 (no
    gradient), as np.max and an equality test against it would."""
    N, C = x.shape[0], x.shape[1]
    Ho, Wo = out.shape[2], out.shape[3]
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                top = x[n, c, 2 * i]
                bottom = x[n, c, 2 * i + 1]
                for j in range(Wo):
                    a = top[2 * j]
                    b = top[2 * j + 1]
                    d = bottom[2 * j]
                    e = bottom[2 * j + 1]
                    best = a
                    k = 0
                    if b > best:
                        best = b
                        k = 1
                    if d > best:
                        best = d
                        k = 2
                    if e > best:
                        best = e
                        k = 3
                    if a != a or b != b or d != d or e != e:
                        best = np.nan
                        k = -1
                    out[n, c, i, j] = best
                    idx[n, c, i, j] = k


def _maxPool2x2Backward(grad, idx, dx):
    """dx: each window's gradient on its first maximum, zeros elsewhere (also on a last row or
    column that no window covers)."""
    N, C, H, W = dx.shape
    Ho, Wo = grad.shape[2], grad.shape[3]
    zero = dx.dtype.type(0)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    k = idx[n, c, i, j]
                    g = grad[n, c, i, j]
                    dx[n, c, 2 * i, 2 * j] = g if k == 0 else zero
                    dx[n, c, 2 * i, 2 * j + 1] = g if k == 1 else zero
                    dx[n, c, 2 * i + 1, 2 * j] = g if k == 2 else zero
                    dx[n, c, 2 * i + 1, 2 * j + 1] = g if k == 3 else zero
                for col in range(2 * Wo, W):
                    dx[n, c, 2 * i, col] = zero
                    dx[n, c, 2 * i + 1, col] = zero
            for row in range(2 * Ho, H):
                for col in range(W):
                    dx[n, c, row, col] = zero


# ---- batch normalisation over (N, C, S) ----------------------------------------------------------

def _channelSum(x, c):
    """sum(x[:, c, :]) in float64."""
    total = 0.0
    for n in range(x.shape[0]):
        for s in range(x.shape[2]):
            total += x[n, c, s]
    return total


def _channelSquaredDeviation(x, c, mean):
    """sum((x[:, c, :] - mean) ** 2) in float64."""
    total = 0.0
    for n in range(x.shape[0]):
        for s in range(x.shape[2]):
            d = x[n, c, s] - mean
            total += d * d
    return total


def _channelProduct(g, h, c):
    """sum(g[:, c, :] * h[:, c, :]) in float64."""
    total = 0.0
    for n in range(g.shape[0]):
        for s in range(g.shape[2]):
            total += np.float64(g[n, c, s]) * h[n, c, s]
    return total


_SUMS = ("_channelSum", "_channelSquaredDeviation", "_channelProduct")


def _batchNormTrain(x, scale, bias, epsilon, xhat, out, stats):
    """Per channel c of x (N, C, S): mean and (biased) variance summed in float64, then xhat = (x -
    mean) * invstd and out = xhat * scale + bias (scale, bias of shape (C,)) in the data's dtype
    with the statistics rounded to it, as numpy's passes compute them; stats (3, C) float64 gets
    mean, var, invstd. One channel's data (N * S values) is read from memory once and stays in
    cache for the second and third loop."""
    N, C, S = x.shape
    count = N * S
    for c in range(C):
        mean = _channelSum(x, c) / count
        var = _channelSquaredDeviation(x, c, mean) / count
        invstd = 1.0 / math.sqrt(var + epsilon)
        m = x.dtype.type(mean)
        f = x.dtype.type(invstd)
        sc = scale[c]
        bi = bias[c]
        for n in range(N):
            for s in range(S):
                h = (x[n, c, s] - m) * f
                xhat[n, c, s] = h
                out[n, c, s] = h * sc + bi
        stats[0, c] = mean
        stats[1, c] = var
        stats[2, c] = invstd


def _batchNormBackward(grad, xhat, factor, count, sums, out, wantGrad):
    """Per channel c: sums (2, C) float64 gets sum(g) and sum(g * xhat); with wantGrad, out = factor
    * (g - sum(g) / count - xhat * sum(g * xhat) / count) (factor of shape (C,), float64), evaluated
    in float64 and rounded once."""
    N, C, S = grad.shape
    for c in range(C):
        sumG = _channelSum(grad, c)
        sumGX = _channelProduct(grad, xhat, c)
        sums[0, c] = sumG
        sums[1, c] = sumGX
        if wantGrad:
            meanG = sumG / count
            meanGX = sumGX / count
            f = factor[c]
            for n in range(N):
                for s in range(S):
                    out[n, c, s] = f * (grad[n, c, s] - meanG - xhat[n, c, s] * meanGX)


# ---- relu derivative -----------------------------------------------------------------------------

def _reluBackward(grad, y, out):
    """out = grad * sign(y) over flat arrays (y >= 0, the output of a relu): grad where y > 0, grad *
    0 where y is 0, NaN where y is NaN; out may be grad."""
    zero = out.dtype.type(0)
    for i in range(grad.shape[0]):
        v = y[i]
        if v > 0:
            out[i] = grad[i]
        elif v != v:
            out[i] = v
        else:
            out[i] = grad[i] * zero
