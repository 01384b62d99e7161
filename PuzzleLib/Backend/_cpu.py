"""The CPU backend: numpy arrays stand in for device arrays.

``GPUArray`` is a thin ``numpy.ndarray`` subclass that adds the device-array methods PuzzleLib
programs use (``get``, ``set``); everything else (``fill``, ``reshape``, ``astype``, arithmetic,
slicing) is numpy's own. Kernels are plain numpy functions that write into ``out=`` buffers, so a
training step allocates nothing once its buffers exist.
"""
import functools
import math
import operator

import numpy as np

from PuzzleLib.Backend import _jit

xp = np
name = "cpu"
isGPU = False


class GPUArray(np.ndarray):
    """A device array of the CPU backend: host memory with the PuzzleLib device-array methods.

    Example::

        >>> from PuzzleLib.Backend.gpuarray import to_gpu
        >>> a = to_gpu(np.arange(3, dtype=np.float32))
        >>> (a * 2).get()
        array([0., 2., 4.], dtype=float32)
    """

    def get(self):
        """A new host (numpy) array with a copy of the data."""
        return np.array(self, copy=True, subok=False)

    def set(self, ary):
        """Copy a host array of the same shape into this array."""
        ary = np.asarray(ary)
        if ary.shape != self.shape:
            from PuzzleLib.Errors import BackendError
            raise BackendError("GPUArray.set: expected an array of shape %s, got %s" % (self.shape, ary.shape))
        np.copyto(self, ary, casting="same_kind")
        return self

    @property
    def gpudata(self):
        return self.ctypes.data


def to_gpu(ary):
    """Copy a host array to the "device" (a new C-contiguous array)."""
    return np.array(ary, order="C", copy=True).view(GPUArray)


def to_host(ary):
    return np.array(ary, copy=True, subok=False)


def asDevice(ary):
    """View a numpy array as a GPUArray without copying."""
    if type(ary) is GPUArray:
        return ary
    return np.asarray(ary).view(GPUArray)


# plain(ary): the backend's own array type for internal math (a plain ndarray view of a GPUArray,
# free of the subclass's per-operation cost); a C-level callable, as modules call it every step
plain = operator.methodcaller("view", np.ndarray)


def bound(ufunc, *inputs, out):
    """A zero-argument call of ``ufunc(*inputs, out=out)`` for a captured step (numpy takes the
    output positionally, which is cheaper than a keyword; not for np.maximum/np.minimum)."""
    return functools.partial(ufunc, *inputs, out)


def address(ary):
    """The address of an array's first element."""
    return ary.__array_interface__["data"][0]


def flatSpan(first, size):
    """A 1-d plain view of ``size`` elements of memory starting at array ``first``, or None when
    that memory is not one contiguous block that ``first``'s owner holds."""
    root = first
    while root.base is not None and isinstance(root.base, np.ndarray):
        root = root.base
    if not root.flags.c_contiguous or root.dtype != first.dtype:
        return None
    start = (address(first) - address(root)) // first.itemsize
    if start < 0 or start + size > root.size:
        return None
    return root.reshape(-1)[start:start + size].view(np.ndarray)


def empty(shape, dtype=np.float32):
    return np.empty(shape, dtype=dtype).view(GPUArray)


def zeros(shape, dtype=np.float32):
    return np.zeros(shape, dtype=dtype).view(GPUArray)


def dtypesSupported():
    """(dtype, atol) pairs this backend computes in."""
    yield np.float32, 1e-5
    yield np.float64, 1e-10


def synchronize():
    pass


def isDeviceArray(ary):
    return isinstance(ary, np.ndarray)


def fusedKernel(name, *arrays):
    """The compiled one-pass kernel ``name`` of ``Backend/_jit.py``, called as ``_jit.caller``
    calls it (split over threads for large arrays), when it applies to ``arrays`` (numba installed;
    the arrays large enough, C-contiguous, float32 or float64: ``_jit.select``), else None: the
    caller keeps its numpy path. Pass it plain arrays (``plain``)."""
    return _jit.select(name, *arrays)


# ---- kernels -------------------------------------------------------------------------------------
# Each activation: forward(x, out, args, tmp=None) and backward(grad, y, out, args, tmp=None), the
# derivative taken from the output y. `out` may alias `x` (forward) or `grad` (backward); `tmp`, an
# array shaped like `out` that the caller reuses, spares the kernels that need a temporary from
# allocating one.

def _temp(tmp, like):
    return np.empty_like(like) if tmp is None else tmp


def _sigmoidFwd(x, out, args, tmp=None):
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)


def _sigmoidBwd(grad, y, out, args, tmp=None):
    # grad * y * (1 - y)
    t = _temp(tmp, y)
    np.subtract(1.0, y, out=t)
    t *= y
    np.multiply(grad, t, out=out)


def _tanhFwd(x, out, args, tmp=None):
    np.tanh(x, out=out)


def _tanhBwd(grad, y, out, args, tmp=None):
    # grad * (1 - y**2)
    t = _temp(tmp, y)
    np.multiply(y, y, out=t)
    np.subtract(1.0, t, out=t)
    np.multiply(grad, t, out=out)


def _reluMax(x, out):
    np.maximum(x, 0, out=out)


def _reluFwd(x, out, args, tmp=None):
    # large contiguous arrays: one compiled pass (Backend/_jit.py, np.maximum's numbers), split over
    # threads for the largest; without numba, np.maximum in parts over threads (it releases the GIL)
    fused = fusedKernel("reluForward", x, out) if x.size >= _jit.RELU_FORWARD_SIZE else None
    if fused is not None:
        fused(plain(x).reshape(-1), plain(out).reshape(-1))
    elif (x.size >= _jit.splitSize("reluForward") and _jit.THREADS > 1 and x.flags.c_contiguous
          and out.flags.c_contiguous):
        _jit.splitFlat(_reluMax, plain(x).reshape(-1), plain(out).reshape(-1))
    else:
        np.maximum(x, 0, out=out)


def _masks(tmp, like, count):
    """``count`` boolean arrays shaped like ``like``, stacked: ``tmp`` when the caller passes one
    (kernels with a ``masks`` attribute take such a temporary instead of one shaped like ``out``)."""
    return np.empty((count,) + like.shape, dtype=np.bool_) if tmp is None else tmp


def _reluBwd(grad, y, out, args, tmp=None):
    # large contiguous arrays: one compiled pass (Backend/_jit.py, the same numbers); else sign(y) as
    # the 0/1 derivative mask (y >= 0 after relu; a boolean mask times grad is no faster: the
    # multiply then casts), in place when out is grad (an in-place Activation passes the very same
    # array object, also for a slice)
    fused = fusedKernel("reluBackward", grad, y, out) if grad.size >= _jit.SMALL_SIZE else None
    if fused is not None:
        fused(plain(grad).reshape(-1), plain(y).reshape(-1), plain(out).reshape(-1))
    elif out is grad:
        t = _temp(tmp, y)
        np.sign(y, out=t)
        out *= t
    else:
        np.sign(y, out=out)
        out *= grad


def _leakyFactor(v, slope, t):
    """t = 1 where v > 0, else slope."""
    np.greater(v, 0, out=t)
    t *= 1.0 - slope
    t += slope
    return t


def _leakyReluFwd(x, out, args, tmp=None):
    np.multiply(x, _leakyFactor(x, args[0], _temp(tmp, x)), out=out)


def _leakyReluBwd(grad, y, out, args, tmp=None):
    # y has x's sign (the slope is not negative)
    np.multiply(grad, _leakyFactor(y, args[0], _temp(tmp, y)), out=out)


def _eluFwd(x, out, args, tmp=None):
    # x for x > 0, alpha * (exp(x) - 1) otherwise: max(x, 0) + alpha * expm1(min(x, 0))
    t = _temp(tmp, x)
    np.minimum(x, 0, out=t)
    np.expm1(t, out=t)
    t *= args[0]
    np.maximum(x, 0, out=out)
    out += t


def _eluBwd(grad, y, out, args, tmp=None):
    # d/dx = 1 where y > 0, y + alpha elsewhere
    d = _temp(tmp, y)
    np.add(y, args[0], out=d)
    np.copyto(d, 1.0, where=y > 0)
    np.multiply(grad, d, out=out)


def _softPlusFwd(x, out, args, tmp=None):
    # log(1 + exp(x)), computed without overflow
    np.logaddexp(x, 0, out=out)


def _softPlusBwd(grad, y, out, args, tmp=None):
    # d/dx log(1 + e^x) = sigmoid(x) = 1 - exp(-y)
    d = _temp(tmp, y)
    np.negative(y, out=d)
    np.expm1(d, out=d)
    np.negative(d, out=d)
    np.multiply(grad, d, out=out)


def _clipFwd(x, out, args, tmp=None):
    np.clip(x, args[0], args[1], out=out)


def _clipBwd(grad, y, out, args, tmp=None):
    lo, hi = args
    above, below = _masks(tmp, y, 2)
    np.greater(y, lo, out=above)
    np.less(y, hi, out=below)
    np.logical_and(above, below, out=above)
    np.multiply(grad, above, out=out)


# the kernels above that use `tmp` (callers that reuse buffers pass one to them): shaped like `out`,
# or, for those with `masks`, that many boolean arrays shaped like `out`, stacked
for _kernelFn in (_sigmoidBwd, _tanhBwd, _reluBwd, _leakyReluFwd, _leakyReluBwd, _eluFwd, _eluBwd,
                  _softPlusBwd):
    _kernelFn.needsTmp = True
_clipBwd.masks = 2


activationKernels = {
    "sigmoid": (_sigmoidFwd, _sigmoidBwd),
    "tanh": (_tanhFwd, _tanhBwd),
    "relu": (_reluFwd, _reluBwd),
    "leakyRelu": (_leakyReluFwd, _leakyReluBwd),
    "elu": (_eluFwd, _eluBwd),
    "softPlus": (_softPlusFwd, _softPlusBwd),
    "clip": (_clipFwd, _clipBwd),
}


def accumulate(dst, src, scale, momentum):
    """dst = scale * src + momentum * dst (src may be clobbered)."""
    if momentum == 0.0:
        if scale == 1.0:
            np.copyto(dst, src)
        else:
            np.multiply(src, scale, out=dst)
    else:
        if momentum != 1.0:
            dst *= momentum
        if scale != 1.0:
            src *= scale
        dst += src


def mseGradError(pred, target, grad):
    """grad = (target - pred) / N; returns 0.5 * mean((target - pred)**2) (a backend scalar)."""
    np.subtract(target, pred, out=grad)
    n = grad.size
    err = float(np.vdot(grad, grad)) * (0.5 / n)
    grad *= 1.0 / n
    return err


def mseError(pred, target):
    diff = np.subtract(target, pred)
    flat = diff.reshape(-1)
    return np.dot(flat, flat) * (0.5 / flat.size)


def sgdUpdate(param, grad, lr, scratch=None):
    """param += lr * grad (``scratch``, shaped like param, saves allocating the product); one
    compiled pass with the same numbers where ``_flatFused`` applies."""
    if _flatFused("sgdUpdate", (param, grad), (lr,)):
        return
    if lr == 1.0:
        param += grad
    else:
        tmp = np.multiply(grad, lr, out=scratch)
        param += tmp


def _momentumStep(grad, mom, lr, momRate, scratch):
    # mom = momRate * mom + lr * grad, leaving lr * grad in scratch
    np.multiply(grad, lr, out=scratch)
    mom *= momRate
    mom += scratch


def momentumUpdate(param, grad, mom, lr, momRate, scratch):
    """mom = momRate * mom + lr * grad; param += mom; one compiled pass with the same numbers where
    ``_flatFused`` applies (large contiguous float arrays, Python-float rates), split over threads
    for the largest."""
    if _flatFused("momentumUpdate", (param, grad, mom), (lr, momRate)):
        return
    _momentumStep(grad, mom, lr, momRate, scratch)
    param += mom


def _flatFused(name, arrays, rates):
    """Run the flat compiled kernel ``name`` of ``_jit`` over ``arrays`` (1-d plain views of them)
    and ``rates`` (in the arrays' dtype, as numpy takes a Python float against them) and return
    True; or False where it does not apply, and the caller runs its numpy passes: small,
    non-contiguous or differently shaped arrays (numpy's broadcasting rules, and its errors, stay
    numpy's), or a rate that is not a Python float (a numpy float64 would make numpy compute in
    float64)."""
    first = arrays[0]
    if first.size < _jit.SMALL_SIZE:
        return False
    for a in arrays:
        if a.shape != first.shape:
            return False
    for rate in rates:
        if type(rate) is not float:
            return False
    fused = fusedKernel(name, *arrays)
    if fused is None:
        return False
    cast = first.dtype.type
    fused(*(plain(a).reshape(-1) for a in arrays), *(cast(rate) for rate in rates))
    return True


_erfImpl = []  # [function(x, out)], chosen on first use


def _erfPerElement(x, out):
    out[...] = _erfObjects(x).astype(out.dtype)


_erfObjects = np.frompyfunc(math.erf, 1, 1)


def erf(x, out):
    """out = erf(x), elementwise. SciPy's ``special.erf`` (a ufunc) when SciPy is installed;
    otherwise ``math.erf`` per element (correctly rounded in float64, slower). Chosen on first use."""
    if not _erfImpl:
        try:
            from scipy.special import erf as ufunc
            _erfImpl.append(lambda a, o: ufunc(a, out=o))
        except ImportError:
            _erfImpl.append(_erfPerElement)
    _erfImpl[0](x, out)


def toScalar(value):
    return float(value)


def sumOfSquares(x):
    """sum(x**2) over every element, in float64 (a 0-d array)."""
    flat = np.asarray(x).reshape(-1).astype(np.float64)
    return np.asarray(np.dot(flat, flat))


# ---- issue 5 modules (Embedder, SpatialTf): scatter-add -----------------------------------------

def scatterAdd(dst, indices, values):
    """dst[indices] += values, adding up repeated indices (indices index dst's first axis)."""
    np.add.at(dst, indices, values)


# ---- issue 4 costs (CrossEntropy): softmax cross-entropy -----------------------------------------

def crossEntropyGradError(scores, labels, grad, weights=None):
    """Softmax cross-entropy over axis 1 of scores (N, C[, ...]) against int labels (N[, ...]).

    grad = w[c] * (onehot(y) - softmax(scores)) / N, with w[c] the weight of the element's own class c
    and N = scores.shape[0], as PuzzleLib 1.0 scales it; returns mean(w[y] * -log softmax(scores)[y])
    over the count = labels.size positions, as a float. weights (C,) or None (all ones). Labels must
    lie in [0, C).
    """
    x = np.asarray(scores)
    g = np.asarray(grad)
    y = np.asarray(labels)
    count = y.size
    batch = x.shape[0]
    out = g
    if x.ndim == 2:
        n, c = x.shape
        if not g.flags.c_contiguous:
            g = np.empty(g.shape, g.dtype)  # the flat label positions below need a contiguous buffer
        # numpy reduces a short last axis slowly (a row maximum of (256, 10) takes 16 us): for few
        # classes the maxima come from a transposed copy, reduced over its first axis (3 us), and
        # the row sums from a matrix-vector product
        rowMax = np.ascontiguousarray(x.T).max(axis=0) if c <= 64 else x.max(axis=1)
        np.subtract(x, rowMax[:, None], out=g)
        flat = np.arange(0, n * c, c)
        flat += y  # where each label's score sits in g.ravel()
        gFlat = g.reshape(-1)
        picked = gFlat.take(flat)
        np.exp(g, out=g)
        s = np.matmul(g, np.ones(c, g.dtype))
        nll = np.log(s)
        nll -= picked
        g /= s[:, None]
        gFlat[flat] -= 1.0
    else:
        np.subtract(x, x.max(axis=1, keepdims=True), out=g)
        yi = np.expand_dims(y, 1)
        picked = np.take_along_axis(g, yi, axis=1)
        np.exp(g, out=g)
        s = g.sum(axis=1, keepdims=True)
        nll = np.log(s)
        nll -= picked
        g /= s
        np.put_along_axis(g, yi, np.take_along_axis(g, yi, axis=1) - 1.0, axis=1)
        nll = nll.reshape(y.shape)
    if weights is None:
        error = nll.sum() / count
        g *= -1.0 / batch
    else:
        w = np.asarray(weights)
        wy = w[y].astype(g.dtype, copy=False)
        error = np.dot(nll.ravel(), wy.ravel()) / count
        g *= (w.astype(g.dtype) * (-1.0 / batch)).reshape((1, x.shape[1]) + (1,) * (g.ndim - 2))
    if g is not out:
        out[...] = g
    return float(error)


# ---- optimizers (Adam, RMSProp, RMSPropGraves, AdaGrad, AdaDelta, SMORMS3, NesterovSGD) -----------
# Each rule updates param and its state in place; grads are descent directions (updates add them).
# `scratch` and `temp` are temporaries shaped like param (the cuda twins need neither).

def _runningMean(avg, x, factor, scratch):
    # avg = factor * avg + (1 - factor) * x
    np.multiply(x, 1.0 - factor, out=scratch)
    avg *= factor
    avg += scratch


def _runningMeanOfSquares(avg, x, factor, scratch):
    # avg = factor * avg + (1 - factor) * x**2
    np.multiply(x, x, out=scratch)
    scratch *= 1.0 - factor
    avg *= factor
    avg += scratch


def _scaledStep(param, num, den, learnRate, epsilon, scratch):
    # param += learnRate * num / (sqrt(den) + epsilon)
    np.sqrt(den, out=scratch)
    scratch += epsilon
    np.divide(num, scratch, out=scratch)
    scratch *= learnRate
    param += scratch


def adamUpdate(param, grad, mom, ms, stepSize, beta1, beta2, epsilon, scratch):
    """Adam: ``mom = b1*mom + (1-b1)*g; ms = b2*ms + (1-b2)*g**2;
    param += stepSize * mom / (sqrt(ms) + epsilon)`` (stepSize carries the bias correction); one
    compiled pass with the same numbers where ``_flatFused`` applies."""
    if _flatFused("adamUpdate", (param, grad, mom, ms), (stepSize, beta1, 1.0 - beta1, beta2, 1.0 - beta2, epsilon)):
        return
    _runningMean(mom, grad, beta1, scratch)
    _runningMeanOfSquares(ms, grad, beta2, scratch)
    _scaledStep(param, mom, ms, stepSize, epsilon, scratch)


def rmsPropUpdate(param, grad, ms, learnRate, factor, epsilon, scratch):
    """RMSProp: ``ms = factor*ms + (1-factor)*g**2; param += learnRate * g / (sqrt(ms) + epsilon)``."""
    _runningMeanOfSquares(ms, grad, factor, scratch)
    _scaledStep(param, grad, ms, learnRate, epsilon, scratch)


def rmsPropGravesUpdate(param, grad, ms, mg, delta, learnRate, alpha, momRate, epsilon, scratch, temp):
    """Graves' RMSProp: ``ms = a*ms + (1-a)*g**2; mg = a*mg + (1-a)*g;
    delta = momRate*delta + learnRate * g / sqrt(ms - mg**2 + epsilon); param += delta``."""
    _runningMeanOfSquares(ms, grad, alpha, scratch)
    _runningMean(mg, grad, alpha, scratch)
    np.multiply(mg, mg, out=scratch)
    np.subtract(ms, scratch, out=temp)
    temp += epsilon
    np.sqrt(temp, out=temp)
    np.divide(grad, temp, out=scratch)
    scratch *= learnRate
    delta *= momRate
    delta += scratch
    param += delta


def adaGradUpdate(param, grad, h, learnRate, epsilon, scratch):
    """AdaGrad: ``h += g**2; param += learnRate * g / (sqrt(h) + epsilon)``."""
    np.multiply(grad, grad, out=scratch)
    h += scratch
    _scaledStep(param, grad, h, learnRate, epsilon, scratch)


def adaDeltaUpdate(param, grad, msg, msdx, learnRate, rho, epsilon, scratch, temp):
    """AdaDelta: ``msg = rho*msg + (1-rho)*g**2; dx = sqrt((msdx + eps) / (msg + eps)) * g;
    msdx = rho*msdx + (1-rho)*dx**2; param += learnRate * dx``."""
    _runningMeanOfSquares(msg, grad, rho, scratch)
    np.add(msdx, epsilon, out=scratch)
    np.add(msg, epsilon, out=temp)
    np.divide(scratch, temp, out=scratch)
    np.sqrt(scratch, out=scratch)
    scratch *= grad
    _runningMeanOfSquares(msdx, scratch, rho, temp)
    if learnRate != 1.0:
        scratch *= learnRate
    param += scratch


def smorms3Update(param, grad, mem, mg, ms, learnRate, epsilon, scratch, temp):
    """SMORMS3, with ``r = 1 / (mem + 1)``: ``mg += r*(g - mg); ms += r*(g**2 - ms);
    x = mg**2 / (ms + eps); param += g * min(learnRate, x) / (sqrt(ms) + eps); mem = 1 + mem*(1 - x)``."""
    # r = 1 / (mem + 1), kept in temp
    np.add(mem, 1.0, out=temp)
    np.reciprocal(temp, out=temp)
    # mg += r * (g - mg), ms += r * (g**2 - ms)
    np.subtract(grad, mg, out=scratch)
    scratch *= temp
    mg += scratch
    np.multiply(grad, grad, out=scratch)
    scratch -= ms
    scratch *= temp
    ms += scratch
    # x = mg**2 / (ms + eps), kept in temp
    np.multiply(mg, mg, out=temp)
    np.add(ms, epsilon, out=scratch)
    np.divide(temp, scratch, out=temp)
    # mem = 1 + mem * (1 - x)
    np.subtract(1.0, temp, out=scratch)
    mem *= scratch
    mem += 1.0
    # param += g * min(lr, x) / (sqrt(ms) + eps)
    np.minimum(temp, learnRate, out=temp)
    temp *= grad
    np.sqrt(ms, out=scratch)
    scratch += epsilon
    np.divide(temp, scratch, out=temp)
    param += temp


def nesterovUpdate(param, grad, mom, learnRate, momRate, scratch):
    """Nesterov momentum: ``mom = momRate*mom + learnRate*g; param += momRate*mom + learnRate*g``;
    one compiled pass with the same numbers where ``_flatFused`` applies."""
    if _flatFused("nesterovUpdate", (param, grad, mom), (learnRate, momRate)):
        return
    _momentumStep(grad, mom, learnRate, momRate, scratch)
    param += scratch
    np.multiply(mom, momRate, out=scratch)
    param += scratch
