"""Compiled CPU kernels for the passes numpy can only do as several whole-array passes (private).

Max-pooling over 2x2 windows at stride 2, batch normalisation's train-mode forward and backward
pass, relu and its derivative and the SGD, momentum and Adam updates are each one loop here,
compiled by numba (the ``jit`` extra) on first use and cached on disk: one read of the data instead
of up to eleven numpy passes, and the statistics summed in float64 at no extra cost.
``kernel(name)`` gives the compiled function, or None when numba is not installed; the callers then
keep their plain numpy (or CuPy) path, which the tests compare these kernels with.

``select`` decides which arrays take them: those of at least ``MIN_SIZE`` elements, and for the
kernels that give numpy's numbers exactly (pooling, relu, the optimizer updates) those of
``SMALL_SIZE`` or more. Smaller arrays keep numpy: its calls cost little there, and a program of
small arrays (the tutorial's 100 x 100) never imports numba nor loads its cache. Arrays of
``SPLIT_SIZE`` elements or more (twice that for the lightest kernels) are split over threads as
below; smaller ones are one call on the calling thread, as handing parts to the pool costs some
40-60 us a call on a 2-core machine (relu backward on 2^18 elements: 38 us on one thread, 90-111 us
split; max-pool backward on 2^20: 500 us on one thread, 300 us split).

The kernels release the GIL and ``run`` splits one call's work (samples, channels or a flat range)
between the calling thread and helper threads of a small pool of this module's own, up to
``THREADS`` in all (numpy's elementwise passes are single-threaded; PyTorch's run on every core).
numba's own parallel loops are not used: their threading layer aborts the process when two Python
threads enter it at once (a web server training in a thread). Each part writes its own outputs, so
the numbers do not depend on the split.
"""
import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

MIN_SIZE = 1 << 16  # arrays this large take every kernel
SMALL_SIZE = 1 << 14  # arrays this large take the exact kernels (_EXACT)
SPLIT_SIZE = 1 << 19  # arrays this large (twice that for the _LIGHT kernels) split over threads
# relu's forward pass from here only: np.maximum is one pass already (the kernel saves ~60 us a call
# at 2^18), and a program that predicts on the tutorial's 1024 x 100 grid keeps numpy and no numba
RELU_FORWARD_SIZE = 1 << 18
_PARTS = 8  # parts per thread: a thread that gets its core late finds fewer left, one preempted holds up less

THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))

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
        from PuzzleLib.Backend._blas import shortenThreadTimeout
        shortenThreadTimeout()  # OpenBLAS's idle threads would spin on the cores these kernels use
        for helper in _SUMS:
            # the float64 sums may run in vector registers (reassoc: their order then differs from a
            # sequential loop's by float64 rounding only); the kernels themselves are compiled
            # without fast-math flags, so their elementwise parts round as numpy's passes do
            if not hasattr(globals()[helper], "py_func"):
                globals()[helper] = numba.njit(cache=True, nogil=True, fastmath={"reassoc"})(globals()[helper])
        # numpy's error model: a division by zero gives inf or NaN as numpy's does, where numba's
        # default raises ZeroDivisionError, and its check kept the loops from being vectorised
        fn = numba.njit(cache=True, nogil=True, error_model="numpy")(globals()["_" + name])
        _compiled[name] = fn
    return fn


_pool = []  # [(pid, executor)]: a forked child makes its own (the parent's threads are not in it)


def _executor():
    if not _pool or _pool[0][0] != os.getpid():
        _pool[:] = [(os.getpid(), ThreadPoolExecutor(max_workers=max(THREADS - 1, 1),
                                                     thread_name_prefix="PuzzleLib-jit"))]
    return _pool[0][1]


def _parts(count, parts):
    parts = max(1, min(parts, count))
    return [(count * i // parts, count * (i + 1) // parts) for i in range(parts)]


def _drain(calls, counter):
    for index in counter:
        if index >= len(calls):
            return
        calls[index]()


def _split(calls):
    """Run the zero-argument ``calls`` on this thread and up to ``THREADS - 1`` of the pool's, each
    taking the next call not yet taken; returns when all are done (an error in any is raised here).
    On a machine whose cores are busy a helper that never gets one is cancelled, and this thread
    does the work alone, so a split never takes much longer than no split."""
    if THREADS < 2 or len(calls) < 2:
        for call in calls:
            call()
        return
    counter = itertools.count()  # next() on it is atomic under the GIL
    futures = [_executor().submit(_drain, calls, counter) for _ in range(min(THREADS, len(calls)) - 1)]
    try:
        _drain(calls, counter)
    finally:
        for future in futures:
            if not future.cancel():
                future.result()


def splitProducts(calls):
    """``_split(calls)`` for calls that run numpy's matrix products (numpy's BLAS, OpenBLAS): spread over
    threads, each call's products run on its own thread alone (``_blas.oneThread``; OpenBLAS would
    otherwise split each of them over the cores the other calls are using), and OpenBLAS's idle
    threads are first told to sleep soon (``_blas.shortenThreadTimeout``). A single call, or a
    machine of one thread, keeps OpenBLAS's threads for its products."""
    if THREADS < 2 or len(calls) < 2:
        for call in calls:
            call()
        return
    from PuzzleLib.Backend._blas import oneThread, shortenThreadTimeout
    shortenThreadTimeout()

    def alone(call):
        with oneThread():
            call()

    _split([partial(alone, call) for call in calls])


def run(name, count, *args):
    """``kernel(name)(*args, lo, hi)`` over ``[0, count)`` (samples or channels), in parts spread
    over up to ``THREADS`` threads."""
    fn = kernel(name)
    _split([partial(fn, *args, lo, hi) for lo, hi in _parts(count, _PARTS * THREADS)])


def splitFlat(fn, *args):
    """``fn(*parts)`` over parts (of 16384 elements or more) of the flat (1-d) arrays among ``args``
    (the first one an array; the others that are not numpy arrays, such as scalars, go to every
    part as they are), spread over up to ``THREADS`` threads (``fn`` a compiled kernel or a numpy
    call, which also releases the GIL)."""
    n = args[0].shape[0]
    _split([partial(fn, *(a[lo:hi] if isinstance(a, np.ndarray) else a for a in args))
            for lo, hi in _parts(n, min(_PARTS * THREADS, n // 16384))])


def runFlat(name, *args):
    """``kernel(name)(*parts)`` over parts of the flat arrays among ``args``, as ``splitFlat``."""
    splitFlat(kernel(name), *args)


# how each kernel is called through ``caller``: over a range of samples or channels, or over flat arrays
_FLAT = ("reluForward", "reluBackward", "sgdUpdate", "momentumUpdate", "nesterovUpdate", "adamUpdate")
# the kernels whose numbers are numpy's path's exactly (batch normalisation's sum in float64 instead),
# which arrays smaller than MIN_SIZE may take (``select``)
_EXACT = ("maxPool2x2", "maxPool2x2Backward", "reluForward", "reluBackward", "sgdUpdate", "momentumUpdate",
          "nesterovUpdate", "adamUpdate")
# little work an element: a split pays from 2 * SPLIT_SIZE elements
_LIGHT = ("maxPool2x2", "reluForward", "reluBackward", "sgdUpdate", "momentumUpdate", "nesterovUpdate")


def caller(name):
    """``name``'s kernel split over up to ``THREADS`` threads: ``caller(name)(count, *args)`` for
    the ranged kernels (count = samples or channels), ``caller(name)(*flatArrays)`` for the flat ones."""
    return partial(runFlat if name in _FLAT else run, name)


def _onThisThread(name, count, *args):
    kernel(name)(*args, 0, count)


def splitSize(name):
    """The size from which ``name``'s kernel (or numpy call) is split over threads."""
    return SPLIT_SIZE * 2 if name in _LIGHT else SPLIT_SIZE


def select(name, *arrays):
    """``name``'s kernel for ``arrays`` (the first one's size decides), called as ``caller(name)``
    is, or None where it does not apply (arrays under ``MIN_SIZE`` elements, under ``SMALL_SIZE``
    for the ``_EXACT`` kernels, or what ``wanted`` refuses): the caller keeps its numpy path. Split
    over threads from ``splitSize(name)`` elements, else one call on the calling thread."""
    size = arrays[0].size
    if not wanted(*arrays, minSize=SMALL_SIZE if name in _EXACT else MIN_SIZE):
        return None
    if size >= splitSize(name):
        return caller(name)
    return kernel(name) if name in _FLAT else partial(_onThisThread, name)


def wanted(*arrays, minSize=None):
    """Whether the compiled path applies: numba present, the arrays large (``minSize`` elements,
    by default ``MIN_SIZE``), C-contiguous and of one float32/float64 dtype (numba's own types;
    float16 keeps the numpy path)."""
    first = arrays[0]
    if first.size < (MIN_SIZE if minSize is None else minSize) or first.dtype not in (np.float32, np.float64):
        return False
    for a in arrays:
        if not a.flags.c_contiguous or a.dtype != first.dtype:
            return False
    return available()


# ---- max pooling, 2x2 windows at stride 2, no padding ---------------------------------------------

def _maxPool2x2(x, out, idx, lo, hi):
    """out[n, c, i, j] = max of the window x[n, c, 2i:2i+2, 2j:2j+2], idx = its first maximum's
    offset in the window (row-major, 0..3); a window holding a NaN gives NaN and idx -1 (no
    gradient), as np.max and an equality test against it would."""
    N, C = x.shape[0], x.shape[1]
    Ho, Wo = out.shape[2], out.shape[3]
    for n in range(lo, hi):
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


def _maxPool2x2Backward(grad, idx, dx, lo, hi):
    """dx: each window's gradient on its first maximum, zeros elsewhere (also on a last row or
    column that no window covers)."""
    N, C, H, W = dx.shape
    Ho, Wo = grad.shape[2], grad.shape[3]
    zero = dx.dtype.type(0)
    for n in range(lo, hi):
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


def _channelProduct(g, x, c, mean):
    """sum(g[:, c, :] * (x[:, c, :] - mean)) in float64."""
    total = 0.0
    for n in range(g.shape[0]):
        for s in range(g.shape[2]):
            total += np.float64(g[n, c, s]) * (x[n, c, s] - mean)
    return total


_SUMS = ("_channelSum", "_channelSquaredDeviation", "_channelProduct")


def _batchNormTrain(x, scale, bias, epsilon, out, stats, lo, hi):
    """Per channel c of x (N, C, S): mean and (biased) variance summed in float64, then out = (x -
    mean) * invstd * scale + bias (scale, bias of shape (C,)) in the data's dtype with the
    statistics rounded to it, as numpy's passes compute it; stats (3, C) float64 gets mean, var,
    invstd. One channel's data (N * S values) is read from memory once and stays in cache for the
    second and third loop. Nothing else is written: the backward pass reads x again."""
    N, C, S = x.shape
    count = N * S
    for c in range(lo, hi):
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
                out[n, c, s] = h * sc + bi
        stats[0, c] = mean
        stats[1, c] = var
        stats[2, c] = invstd


def _batchNormBackward(grad, x, stats, factor, count, sums, out, wantGrad, lo, hi):
    """Per channel c, with xhat = (x - mean) * invstd in float64 (mean, invstd from stats as the
    forward pass left them): sums (2, C) float64 gets sum(g) and sum(g * xhat); with wantGrad, out
    = factor * (g - sum(g) / count - xhat * sum(g * xhat) / count) (factor of shape (C,), float64),
    evaluated in float64 and rounded once: the float32 value nearest the exact gradient."""
    N, C, S = grad.shape
    for c in range(lo, hi):
        mean = stats[0, c]
        invstd = stats[2, c]
        sumG = _channelSum(grad, c)
        sumGX = _channelProduct(grad, x, c, mean) * invstd
        sums[0, c] = sumG
        sums[1, c] = sumGX
        if wantGrad:
            meanG = sumG / count
            meanGX = sumGX / count
            f = factor[c]
            for n in range(N):
                for s in range(S):
                    h = (x[n, c, s] - mean) * invstd
                    out[n, c, s] = f * (grad[n, c, s] - meanG - h * meanGX)


# ---- relu and its derivative -----------------------------------------------------------------------------

def _reluForward(x, out):
    """out = max(x, 0) over flat arrays as np.maximum(x, 0) gives it: x where x > 0, x itself where
    it is NaN (payload and sign kept), +0 elsewhere (also for -0); out may be x."""
    zero = out.dtype.type(0)
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = v if v > 0 or v != v else zero


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


# ---- optimizer updates over flat arrays ----------------------------------------------------------
# The scalars come in the arrays' dtype (the caller converts them, as numpy does with a Python float
# against a float32 array), and each element takes numpy's passes' operations in their order: no
# fast-math, no fused multiply-add, so the numbers are those passes' bit for bit.

def _sgdUpdate(param, grad, lr):
    """param += grad * lr (Backend/_cpu.py's sgdUpdate; for lr = 1 the product is grad exactly)."""
    for i in range(param.shape[0]):
        param[i] += grad[i] * lr


def _momentumUpdate(param, grad, mom, lr, rate):
    """mom = mom * rate + grad * lr; param += mom (Backend/_cpu.py's momentumUpdate in one pass)."""
    for i in range(param.shape[0]):
        m = mom[i] * rate + grad[i] * lr
        mom[i] = m
        param[i] += m


def _nesterovUpdate(param, grad, mom, lr, rate):
    """step = grad * lr; mom = mom * rate + step; param = param + step + mom * rate (nesterovUpdate)."""
    for i in range(param.shape[0]):
        step = grad[i] * lr
        m = mom[i] * rate + step
        mom[i] = m
        p = param[i] + step
        param[i] = p + m * rate


def _adamUpdate(param, grad, mom, ms, stepSize, beta1, rest1, beta2, rest2, epsilon):
    """mom = mom * beta1 + grad * rest1; ms = ms * beta2 + grad * grad * rest2; param += mom /
    (sqrt(ms) + epsilon) * stepSize (adamUpdate; rest = 1 - beta, rounded as numpy rounds it)."""
    for i in range(param.shape[0]):
        g = grad[i]
        m = mom[i] * beta1 + g * rest1
        v = ms[i] * beta2 + (g * g) * rest2
        mom[i] = m
        ms[i] = v
        param[i] += m / (math.sqrt(v) + epsilon) * stepSize
