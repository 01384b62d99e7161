"""The CUDA backend: CuPy arrays on an NVIDIA GPU.

``GPUArray`` is ``cupy.ndarray`` itself, which already has the device-array methods PuzzleLib
programs use (``get``, ``set``, ``fill``, ``reshape``, ``astype``, arithmetic, slicing), so modules
compute on what they hold with no wrapper in between. ``to_gpu`` really copies host memory to the
device and ``.get()`` copies it back.

This file mirrors every public name of ``_cpu.py`` (``tests/Backend/test_backend_parity.py``
checks it). The named kernels are fused CuPy ``ElementwiseKernel`` / ``ReductionKernel``s: one
launch per activation, derivative, gradient accumulation, cost gradient and optimizer update,
where numpy-style code would launch several. A kernel object is built on its first use and kept;
CuPy compiles it once per dtype signature on its first launch and caches the binary (in memory
and in ``~/.cupy/kernel_cache``).

Precision: in every kernel float16 values are widened to float32 for the arithmetic and rounded
once on store (float64 stays float64). Matrix products of float16 arrays (``cupy.matmul``, used by
Linear, the convolutions' im2col products and the bias sums) run in cuBLAS with float32 accumulation
(CuPy's default compute type for half precision is 32-bit: CUBLAS_COMPUTE_32F on tensor cores), so
``calcMode(np.float16)`` halves memory traffic without summing long dot products in half precision
(``test_float16_matmul_accumulates_in_float32`` checks it on a GPU). Cost errors of float16 predictions are reduced and returned in
float32.

Importing this module imports CuPy (a few hundred milliseconds); ``gpuarray`` only does so when
the cuda backend is chosen, and ``import PuzzleLib`` never does.
"""
import functools

import numpy as np

import cupy
import cupyx

xp = cupy
name = "cuda"
isGPU = True

GPUArray = cupy.ndarray


def initDevice(idx=0):
    """Make CUDA device ``idx`` current; raise ``BackendError`` when there is no such device."""
    from PuzzleLib.Errors import BackendError
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDARuntimeError: no driver, driver too old, no device
        raise BackendError(
            "the cuda backend needs a CUDA device, but the CUDA runtime reports none (%s); "
            "set PUZZLELIB_BACKEND=cpu to run on the CPU" % e
        ) from e
    if count == 0:
        raise BackendError("the cuda backend needs a CUDA device, but none is visible; set PUZZLELIB_BACKEND=cpu")
    if not 0 <= idx < count:
        raise BackendError("CUDA device index %d is out of range: %d device(s) visible (PUZZLELIB_DEVICE)" % (idx, count))
    cupy.cuda.Device(idx).use()


def to_gpu(ary):
    """Copy a host array to the device (a new C-contiguous device array)."""
    return cupy.array(ary, order="C", copy=True)


def to_host(ary):
    """A new host (numpy) array with a copy of the data."""
    if isinstance(ary, cupy.ndarray):
        return ary.get()
    return np.array(ary, copy=True)


def asDevice(ary):
    """The array on the device: itself when it already is a device array, else a copy there."""
    if type(ary) is GPUArray:
        return ary
    return cupy.asarray(ary)


def plain(ary):
    """The backend's own array type for internal math: a CuPy array already is one."""
    return ary


def fusedKernel(name, *arrays):
    """None: the compiled CPU kernels (Backend/_jit.py) have no GPU version; callers take their
    CuPy path, whose elementwise kernels run on the device."""
    return None


def bound(ufunc, *inputs, out):
    """A zero-argument call of ``ufunc(*inputs, out=out)`` for a captured step."""
    return functools.partial(ufunc, *inputs, out=out)


def address(ary):
    """The device address of an array's first element."""
    return ary.data.ptr


def flatSpan(first, size):
    """A 1-d view of ``size`` elements of device memory starting at array ``first``, or None when
    that memory is not one contiguous block that ``first``'s owner holds."""
    root = first
    while root.base is not None and isinstance(root.base, cupy.ndarray):
        root = root.base
    if not root.flags.c_contiguous or root.dtype != first.dtype:
        return None
    offset = address(first) - address(root)
    if offset % first.itemsize:
        return None
    start = offset // first.itemsize
    if start < 0 or start + size > root.size:
        return None
    return root.reshape(-1)[start:start + size]


def empty(shape, dtype=np.float32):
    return cupy.empty(shape, dtype=dtype)


def zeros(shape, dtype=np.float32):
    return cupy.zeros(shape, dtype=dtype)


def dtypesSupported():
    """(dtype, atol) pairs this backend computes in (float16: float32 arithmetic, half storage)."""
    yield np.float32, 1e-5
    yield np.float16, 1e-2
    yield np.float64, 1e-10


def synchronize():
    """Wait for every kernel queued on the current device."""
    cupy.cuda.Device().synchronize()


def isDeviceArray(ary):
    return isinstance(ary, cupy.ndarray)


def toScalar(value):
    """A Python float from a device scalar (0-d array), a numpy scalar or a number."""
    if isinstance(value, cupy.ndarray):
        return float(value.get())
    return float(value)


# ---- kernel construction -------------------------------------------------------------------------
# `A` is the arithmetic type of a kernel: float for float16 and float32 data, double for float64.
_PREAMBLE = """
template <typename T> struct _PlAcc { typedef float type; };
template <> struct _PlAcc<double> { typedef double type; };
"""

_ACC = "typedef _PlAcc<T>::type A;\n"

_elementwiseSpecs = {}
_elementwiseCache = {}
_reductionCache = {}


def _elementwise(kname, inParams, outParams, body):
    """Register an ElementwiseKernel; it is built on first use (see ``_kernel``)."""
    _elementwiseSpecs[kname] = (inParams, outParams, _ACC + body)


def _kernel(kname):
    """The ElementwiseKernel called ``kname``, built once and cached."""
    kern = _elementwiseCache.get(kname)
    if kern is None:
        inParams, outParams, body = _elementwiseSpecs[kname]
        kern = cupy.ElementwiseKernel(inParams, outParams, body, "puzzlelib_" + kname, preamble=_PREAMBLE)
        _elementwiseCache[kname] = kern
    return kern


# scale * sum((t - p)**2): (in params, map, reduce, post map, identity); ACC is float or double
_SUM_SQ_DIFF = ("T p, T t, float64 scale", "((ACC)t - (ACC)p) * ((ACC)t - (ACC)p)", "a + b", "err = (ACC)(a * scale)", "0")


def _sumSquaredDiff(dtype):
    """ReductionKernel: scale * sum((t - p)**2), accumulated and returned in float32 (float64 for float64)."""
    acc = "double" if np.dtype(dtype) == np.float64 else "float"
    kern = _reductionCache.get(acc)
    if kern is None:
        outType = "float64" if acc == "double" else "float32"
        inParams, mapExpr, reduceExpr, postMap, identity = (e.replace("ACC", acc) for e in _SUM_SQ_DIFF)
        kern = cupy.ReductionKernel(inParams, "%s err" % outType, mapExpr, reduceExpr, postMap, identity,
                                    "puzzlelib_sum_sq_diff_" + acc, reduce_type=acc)
        _reductionCache[acc] = kern
    return kern


# sum(x**2) in double: (in params, out params, map, reduce, post map, identity)
_SUM_SQUARES = ("T x", "float64 y", "(double)x * (double)x", "a + b", "y = a", "0")


def _sumOfSquaresKernel():
    kern = _reductionCache.get("sum_squares")
    if kern is None:
        kern = cupy.ReductionKernel(*_SUM_SQUARES, "puzzlelib_sum_squares", reduce_type="double")
        _reductionCache["sum_squares"] = kern
    return kern


def sumOfSquares(x):
    """sum(x**2) over every element, accumulated in float64 as each element is read (no float64
    copy of ``x``); a 0-d float64 device array."""
    return _sumOfSquaresKernel()(x)


# ---- activations ---------------------------------------------------------------------------------
# forward(x, out, args) and backward(grad, y, out, args), the derivative taken from the output y;
# `out` may alias `x` (forward) or `grad` (backward): each element is read before it is written.

_elementwise("sigmoid_fwd", "T x", "T y", "y = (T)((A)1 / ((A)1 + exp(-(A)x)));")
_elementwise("sigmoid_bwd", "T g, T y", "T out", "A v = (A)y; out = (T)((A)g * v * ((A)1 - v));")
_elementwise("tanh_fwd", "T x", "T y", "y = (T)tanh((A)x);")
_elementwise("tanh_bwd", "T g, T y", "T out", "A v = (A)y; out = (T)((A)g * ((A)1 - v * v));")
# as the CPU backend's np.maximum(x, 0) and grad * sign(y): a NaN input stays NaN, its gradient NaN,
# and where y is 0 the gradient is grad * 0 (NaN for an infinite or NaN grad), not a silent 0
_elementwise("relu_fwd", "T x", "T y", "A v = (A)x; y = (T)(v < (A)0 ? (A)0 : v);")
_elementwise("relu_bwd", "T g, T y", "T out",
             "A v = (A)y; out = (T)(v > (A)0 ? (A)g : (v != v ? v : (A)g * (A)0));")
_elementwise("leaky_relu_fwd", "T x, float64 a", "T y", "A v = (A)x; y = (T)(v > (A)0 ? v : (A)a * v);")
_elementwise("leaky_relu_bwd", "T g, T y, float64 a", "T out",
             "A d = (A)g; out = (T)((A)y > (A)0 ? d : (A)a * d);")
_elementwise("elu_fwd", "T x, float64 alpha", "T y",
             "A v = (A)x; y = (T)(v > (A)0 ? v : (A)alpha * expm1(v));")
_elementwise("elu_bwd", "T g, T y, float64 alpha", "T out",
             "A v = (A)y; out = (T)(v > (A)0 ? (A)g : (A)g * (v + (A)alpha));")
# softplus(x) = max(x, 0) + log1p(exp(-|x|)), free of overflow; its derivative from y: 1 - exp(-y)
_elementwise("softplus_fwd", "T x", "T y", "A v = (A)x; y = (T)((v > (A)0 ? v : (A)0) + log1p(exp(-fabs(v))));")
_elementwise("softplus_bwd", "T g, T y", "T out", "out = (T)(-(A)g * expm1(-(A)y));")
_elementwise("clip_fwd", "T x, float64 lo, float64 hi", "T y",
             "A v = (A)x; A l = (A)lo; A h = (A)hi; y = (T)(v < l ? l : (v > h ? h : v));")
_elementwise("clip_bwd", "T g, T y, float64 lo, float64 hi", "T out",
             "A v = (A)y; out = (T)((v > (A)lo && v < (A)hi) ? (A)g : (A)0);")


def _sigmoidFwd(x, out, args, tmp=None):
    _kernel("sigmoid_fwd")(x, out)


def _sigmoidBwd(grad, y, out, args, tmp=None):
    _kernel("sigmoid_bwd")(grad, y, out)


def _tanhFwd(x, out, args, tmp=None):
    _kernel("tanh_fwd")(x, out)


def _tanhBwd(grad, y, out, args, tmp=None):
    _kernel("tanh_bwd")(grad, y, out)


def _reluFwd(x, out, args, tmp=None):
    _kernel("relu_fwd")(x, out)


def _reluBwd(grad, y, out, args, tmp=None):
    _kernel("relu_bwd")(grad, y, out)


def _leakyReluFwd(x, out, args, tmp=None):
    _kernel("leaky_relu_fwd")(x, float(args[0]), out)


def _leakyReluBwd(grad, y, out, args, tmp=None):
    _kernel("leaky_relu_bwd")(grad, y, float(args[0]), out)


def _eluFwd(x, out, args, tmp=None):
    _kernel("elu_fwd")(x, float(args[0]), out)


def _eluBwd(grad, y, out, args, tmp=None):
    _kernel("elu_bwd")(grad, y, float(args[0]), out)


def _softPlusFwd(x, out, args, tmp=None):
    _kernel("softplus_fwd")(x, out)


def _softPlusBwd(grad, y, out, args, tmp=None):
    _kernel("softplus_bwd")(grad, y, out)


def _clipFwd(x, out, args, tmp=None):
    _kernel("clip_fwd")(x, float(args[0]), float(args[1]), out)


def _clipBwd(grad, y, out, args, tmp=None):
    _kernel("clip_bwd")(grad, y, float(args[0]), float(args[1]), out)


activationKernels = {
    "sigmoid": (_sigmoidFwd, _sigmoidBwd),
    "tanh": (_tanhFwd, _tanhBwd),
    "relu": (_reluFwd, _reluBwd),
    "leakyRelu": (_leakyReluFwd, _leakyReluBwd),
    "elu": (_eluFwd, _eluBwd),
    "softPlus": (_softPlusFwd, _softPlusBwd),
    "clip": (_clipFwd, _clipBwd),
}


# ---- gradients, costs, optimizers ----------------------------------------------------------------

_elementwise("scale", "T src, float64 scale", "T dst", "dst = (T)((A)scale * (A)src);")
_elementwise("axpby", "T src, float64 scale, float64 mom", "T dst", "dst = (T)((A)scale * (A)src + (A)mom * (A)dst);")
_elementwise("diff_scaled", "T p, T t, float64 s", "T g", "g = (T)(((A)t - (A)p) * (A)s);")
_elementwise("sgd", "T grad, float64 lr", "T param", "param = (T)((A)param + (A)lr * (A)grad);")
_elementwise("momentum", "T grad, float64 lr, float64 momRate", "T param, T mom",
             "T m = (T)((A)momRate * (A)mom + (A)lr * (A)grad); mom = m; param = (T)((A)param + (A)m);")


def accumulate(dst, src, scale, momentum):
    """dst = scale * src + momentum * dst, one fused launch (momentum 0 ignores the old dst)."""
    if momentum == 0.0:
        if scale == 1.0:
            dst[...] = src
        else:
            _kernel("scale")(src, float(scale), dst)
    else:
        _kernel("axpby")(src, float(scale), float(momentum), dst)


def mseGradError(pred, target, grad):
    """grad = (target - pred) / N; returns 0.5 * mean((target - pred)**2) (a 0-d device array).

    The error stays on the device, so a training step never waits for the GPU; ``toScalar``
    reads it back when asked.
    """
    n = pred.size
    _kernel("diff_scaled")(pred, target, 1.0 / n, grad)
    return _sumSquaredDiff(pred.dtype)(pred, target, 0.5 / n)


def mseError(pred, target):
    """0.5 * mean((target - pred)**2) (a 0-d device array)."""
    return _sumSquaredDiff(pred.dtype)(pred, target, 0.5 / pred.size)


def sgdUpdate(param, grad, lr, scratch=None):
    """param += lr * grad, one fused launch (``scratch`` is not needed here)."""
    _kernel("sgd")(grad, float(lr), param)


def momentumUpdate(param, grad, mom, lr, momRate, scratch):
    """mom = momRate * mom + lr * grad; param += mom, one fused launch (scratch is not needed)."""
    _kernel("momentum")(grad, float(lr), float(momRate), param, mom)


# ---- issue 5 modules (Embedder, SpatialTf): scatter-add -----------------------------------------

def scatterAdd(dst, indices, values):
    """dst[indices] += values, adding up repeated indices (atomic adds on the device)."""
    cupyx.scatter_add(dst, indices, values)


# ---- erf (Gelu's exact form) ---------------------------------------------------------------------

_elementwise("erf", "T x", "T y", "y = (T)erf((A)x);")


def erf(x, out):
    """out = erf(x), elementwise (CUDA's erf / erff; float16 through float)."""
    _kernel("erf")(x, out)


# ---- issue 4 costs (CrossEntropy): softmax cross-entropy -----------------------------------------
# e: exp(scores - max) over the class axis, s: its sum (broadcast), y: the label, cls: the class
# index of the element (broadcast arange); g = w[cls] * (onehot(y) - e / s) * scale, in place over e.

_elementwise("ce_grad", "T e, T s, Y y, Y cls, float64 scale", "T g",
             "g = (T)((((y == cls) ? (A)1 : (A)0) - (A)e / (A)s) * (A)scale);")
_elementwise("ce_grad_w", "T e, T s, Y y, Y cls, T wc, float64 scale", "T g",
             "g = (T)((A)wc * (((y == cls) ? (A)1 : (A)0) - (A)e / (A)s) * (A)scale);")


def crossEntropyGradError(scores, labels, grad, weights=None):
    """Softmax cross-entropy over axis 1 of scores (N, C[, ...]) against int labels (N[, ...]).

    grad = w[c] * (onehot(y) - softmax(scores)) / N, with w[c] the weight of the element's own class c
    and N = scores.shape[0], as PuzzleLib 1.0 scales it; returns mean(w[y] * -log softmax(scores)[y])
    over the count = labels.size positions as a 0-d device array (float32 for float16 scores), so that
    a training step never waits for the device; ``toScalar`` reads it back when asked.
    weights (C,) or None (all ones). Labels must lie in [0, C).
    """
    n, c = scores.shape[0], scores.shape[1]
    x = scores.reshape(n, c, -1)
    g = grad.reshape(n, c, -1)
    y = labels.reshape(n, 1, -1)
    count = labels.size
    m = x.max(axis=1, keepdims=True)
    cupy.subtract(x, m, out=g)
    picked = cupy.take_along_axis(g, y, axis=1).astype(np.float32 if g.dtype == np.float16 else g.dtype)
    cupy.exp(g, out=g)
    s = g.sum(axis=1, keepdims=True)
    nll = cupy.log(s.astype(picked.dtype)) - picked
    cls = cupy.arange(c, dtype=labels.dtype).reshape(1, c, 1)
    if weights is None:
        _kernel("ce_grad")(g, s, y, cls, 1.0 / n, g)
        error = nll.sum() / count
    else:
        wy = weights[y].astype(g.dtype)
        wc = weights.astype(g.dtype).reshape(1, c, 1)
        _kernel("ce_grad_w")(g, s, y, cls, wc, 1.0 / n, g)
        error = (nll * wy.astype(nll.dtype)).sum() / count
    return error


# ---- optimizers (Adam, RMSProp, RMSPropGraves, AdaGrad, AdaDelta, SMORMS3, NesterovSGD) -----------
# One launch per rule: each element's state is read, updated and stored (rounded to T once), and the
# parameter step is taken from the stored state, as the numpy rules of _cpu.py do. Decay complements
# (1 - factor) are formed in double, as numpy forms them from Python floats. scratch/temp are unused.

_elementwise("adam", "T grad, float64 stepSize, float64 beta1, float64 beta2, float64 epsilon", "T param, T mom, T ms",
             "A g = (A)grad;"
             " T m = (T)((A)beta1 * (A)mom + (A)(1.0 - beta1) * g); mom = m;"
             " T v = (T)((A)beta2 * (A)ms + (A)(1.0 - beta2) * (g * g)); ms = v;"
             " param = (T)((A)param + (A)stepSize * (A)m / (sqrt((A)v) + (A)epsilon));")
_elementwise("rmsprop", "T grad, float64 lr, float64 factor, float64 epsilon", "T param, T ms",
             "A g = (A)grad;"
             " T v = (T)((A)factor * (A)ms + (A)(1.0 - factor) * (g * g)); ms = v;"
             " param = (T)((A)param + (A)lr * g / (sqrt((A)v) + (A)epsilon));")
_elementwise("rmsprop_graves", "T grad, float64 lr, float64 alpha, float64 momRate, float64 epsilon",
             "T param, T ms, T mg, T delta",
             "A g = (A)grad; A a = (A)alpha; A b = (A)(1.0 - alpha);"
             " T v = (T)(a * (A)ms + b * (g * g)); ms = v;"
             " T m = (T)(a * (A)mg + b * g); mg = m;"
             " A mm = (A)m;"
             " T d = (T)((A)momRate * (A)delta + (A)lr * g / sqrt((A)v - mm * mm + (A)epsilon)); delta = d;"
             " param = (T)((A)param + (A)d);")
_elementwise("adagrad", "T grad, float64 lr, float64 epsilon", "T param, T h",
             "A g = (A)grad;"
             " T s = (T)((A)h + g * g); h = s;"
             " param = (T)((A)param + (A)lr * g / (sqrt((A)s) + (A)epsilon));")
_elementwise("adadelta", "T grad, float64 lr, float64 rho, float64 epsilon", "T param, T msg, T msdx",
             "A g = (A)grad; A r = (A)rho; A q = (A)(1.0 - rho); A e = (A)epsilon;"
             " T s = (T)(r * (A)msg + q * (g * g)); msg = s;"
             " T dx = (T)(sqrt(((A)msdx + e) / ((A)s + e)) * g);"
             " A x = (A)dx;"
             " msdx = (T)(r * (A)msdx + q * (x * x));"
             " param = (T)((A)param + (A)lr * x);")
# min(lr, x) written so that a NaN x passes through, as numpy's minimum does
_elementwise("smorms3", "T grad, float64 lr, float64 epsilon", "T param, T mem, T mg, T ms",
             "A g = (A)grad; A e = (A)epsilon; A r = (A)1 / ((A)mem + (A)1);"
             " A om = (A)mg; T m = (T)(om + r * (g - om)); mg = m;"
             " A os = (A)ms; T s = (T)(os + r * (g * g - os)); ms = s;"
             " A mm = (A)m; A sv = (A)s; A x = mm * mm / (sv + e);"
             " mem = (T)((A)1 + (A)mem * ((A)1 - x));"
             " A step = x > (A)lr ? (A)lr : x;"
             " param = (T)((A)param + g * step / (sqrt(sv) + e));")
_elementwise("nesterov", "T grad, float64 lr, float64 momRate", "T param, T mom",
             "A s = (A)lr * (A)grad;"
             " T m = (T)((A)momRate * (A)mom + s); mom = m;"
             " param = (T)((A)param + s + (A)momRate * (A)m);")


def adamUpdate(param, grad, mom, ms, stepSize, beta1, beta2, epsilon, scratch):
    """Adam: ``mom = b1*mom + (1-b1)*g; ms = b2*ms + (1-b2)*g**2;
    param += stepSize * mom / (sqrt(ms) + epsilon)``, one fused launch."""
    _kernel("adam")(grad, float(stepSize), float(beta1), float(beta2), float(epsilon), param, mom, ms)


def rmsPropUpdate(param, grad, ms, learnRate, factor, epsilon, scratch):
    """RMSProp: ``ms = factor*ms + (1-factor)*g**2; param += learnRate * g / (sqrt(ms) + epsilon)``, one launch."""
    _kernel("rmsprop")(grad, float(learnRate), float(factor), float(epsilon), param, ms)


def rmsPropGravesUpdate(param, grad, ms, mg, delta, learnRate, alpha, momRate, epsilon, scratch, temp):
    """Graves' RMSProp: ``ms = a*ms + (1-a)*g**2; mg = a*mg + (1-a)*g;
    delta = momRate*delta + learnRate * g / sqrt(ms - mg**2 + epsilon); param += delta``, one launch."""
    _kernel("rmsprop_graves")(grad, float(learnRate), float(alpha), float(momRate), float(epsilon),
                              param, ms, mg, delta)


def adaGradUpdate(param, grad, h, learnRate, epsilon, scratch):
    """AdaGrad: ``h += g**2; param += learnRate * g / (sqrt(h) + epsilon)``, one fused launch."""
    _kernel("adagrad")(grad, float(learnRate), float(epsilon), param, h)


def adaDeltaUpdate(param, grad, msg, msdx, learnRate, rho, epsilon, scratch, temp):
    """AdaDelta: ``msg = rho*msg + (1-rho)*g**2; dx = sqrt((msdx + eps) / (msg + eps)) * g;
    msdx = rho*msdx + (1-rho)*dx**2; param += learnRate * dx``, one fused launch."""
    _kernel("adadelta")(grad, float(learnRate), float(rho), float(epsilon), param, msg, msdx)


def smorms3Update(param, grad, mem, mg, ms, learnRate, epsilon, scratch, temp):
    """SMORMS3, with ``r = 1 / (mem + 1)``: ``mg += r*(g - mg); ms += r*(g**2 - ms);
    x = mg**2 / (ms + eps); param += g * min(learnRate, x) / (sqrt(ms) + eps); mem = 1 + mem*(1 - x)``,
    one fused launch."""
    _kernel("smorms3")(grad, float(learnRate), float(epsilon), param, mem, mg, ms)


def nesterovUpdate(param, grad, mom, learnRate, momRate, scratch):
    """Nesterov momentum: ``mom = momRate*mom + learnRate*g; param += momRate*mom + learnRate*g``, one launch."""
    _kernel("nesterov")(grad, float(learnRate), float(momRate), param, mom)
