"""numpy's OpenBLAS, reached directly for what numpy does not expose (private): its idle threads made to
sleep soon after a product, and its strided batched product.

After each multi-threaded product OpenBLAS keeps its helper threads spinning for
``2 ** OPENBLAS_THREAD_TIMEOUT`` cycles (2 ** 28 by default: about 0.1 s) before they sleep, so the
next product starts a little sooner. The CPU backend's compiled kernels (``_jit``, the Winograd
convolutions) run threads of their own right after such products; on a machine with few cores the
spinning threads take cores from them (the VGG-style step of benchmarks/, 2 cores: 115-165 ms a
step with the default, 91-100 ms with ``OPENBLAS_THREAD_TIMEOUT=4``; benchmarks/RESULTS.md, issue 14).

``shortenThreadTimeout()`` sets that documented variable to 4 (the smallest OpenBLAS takes) when the
program has not set it, and makes numpy's OpenBLAS re-read it: ``openblas_read_env`` and
``blas_thread_shutdown_`` (its threads are made again, with the new timeout, at the next product).
It is called once, when the compiled kernels are first used, and does nothing where numpy's BLAS
is not the OpenBLAS numpy ships (``numpy.libs/libscipy_openblas*``) or lacks those functions.
Products give the same numbers either way; only when idle threads go to sleep changes.

``batchedMatmul(a, b, out)`` is ``np.matmul(a, b, out=out)`` for stacks of matrices through
OpenBLAS's ``cblas_?gemm_batch_strided``, which spreads the products of a stack over its threads
(each product on one thread) where ``np.matmul`` runs them one after another, each split over the
threads: for the Winograd convolutions' sixteen (C x P) @ (P x O) weight-gradient products with a
long P that is 8.35 -> 5.24 ms (P = 16384, C = O = 32) and 8.0 -> 3.6 ms (P = 4096, C = O = 64) on 2
cores (benchmarks/RESULTS.md, issue 14). Only products of M * N * K > ``MIN_BATCHED_WORK`` take it:
OpenBLAS 0.3.31 (numpy 2.4's) sends batches of smaller ones to its small-matrix kernels through an
address that DYNAMIC_ARCH builds do not resolve and crashes (OpenMathLib/OpenBLAS#5980, fixed after
0.3.31; measured here: (16, 100, 100, 100) crashes, (16, 101, 100, 100) does not). Where the
function is missing, or a first product through it does not match ``np.matmul``, it is ``np.matmul``.
"""
import ctypes
import glob
import os
import threading

import numpy as np

TIMEOUT = "4"
_done = []
_lock = threading.Lock()


def _library():
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    paths = sorted(glob.glob(os.path.join(folder, "libscipy_openblas*.so*")))
    if not paths:
        return None
    try:
        lib = ctypes.CDLL(paths[0])
        lib.openblas_read_env, lib.blas_thread_shutdown_, lib.openblas_thread_timeout  # noqa: B018
    except (OSError, AttributeError):
        return None
    return lib


def threadTimeout():
    """numpy's OpenBLAS's thread timeout (the exponent), or None where it cannot be read."""
    lib = _library()
    return None if lib is None else int(lib.openblas_thread_timeout())


def shortenThreadTimeout():
    """Once per process: OPENBLAS_THREAD_TIMEOUT=4 unless the program set it, applied to numpy's
    OpenBLAS. Returns True when it was applied (now or earlier)."""
    with _lock:
        if _done:
            return _done[0]
        applied = False
        if "OPENBLAS_THREAD_TIMEOUT" not in os.environ:
            lib = _library()
            if lib is not None:
                os.environ["OPENBLAS_THREAD_TIMEOUT"] = TIMEOUT
                lib.openblas_read_env()
                lib.blas_thread_shutdown_()
                applied = True
        _done.append(applied)
        return applied


# ---- strided batched products ------------------------------------------------------------------

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
MIN_BATCHED_WORK = 4 * 100 ** 3  # M * N * K per product; OpenBLAS's small-matrix path (<= 100^3) crashes
_batched = {}  # dtype -> ctypes function, or None where it cannot be used


def _storage(m):
    """(transposed, base): ``m`` (a 3-d stack) is ``base`` (C-contiguous) or ``base.swapaxes(1, 2)``;
    None when it is neither."""
    if m.flags.c_contiguous:
        return False, m
    t = m.swapaxes(1, 2)
    if t.flags.c_contiguous:
        return True, t
    return None


def _call(fn, a, b, out):
    ta, A = _storage(a)
    tb, B = _storage(b)
    batch, M, N = out.shape
    K = a.shape[2]
    fn(_ROW_MAJOR, _TRANS if ta else _NO_TRANS, _TRANS if tb else _NO_TRANS, M, N, K, 1.0,
       A.ctypes.data, A.shape[2], A.shape[1] * A.shape[2], B.ctypes.data, B.shape[2], B.shape[1] * B.shape[2],
       0.0, out.ctypes.data, N, M * N, batch)


def _batchedFunction(dtype):
    if dtype in _batched:
        return _batched[dtype]
    fn = None
    lib = _library()
    name = {np.dtype(np.float32): "cblas_sgemm_batch_strided", np.dtype(np.float64): "cblas_dgemm_batch_strided"}[dtype]
    # numpy's OpenBLAS is the 64-bit-integer build (libscipy_openblas64_): its sizes are int64
    if lib is not None and "openblas64_" in getattr(lib, "_name", "") and hasattr(lib, name):
        fn = getattr(lib, name)
        I, P = ctypes.c_int64, ctypes.c_void_p
        real = ctypes.c_float if dtype == np.float32 else ctypes.c_double
        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, I, I, I, real, P, I, I, P, I, I, real, P, I, I, I]
        fn.restype = None
        # a first product through it must match numpy's (else this library's signature is not the one assumed)
        rng = np.random.RandomState(0)
        a = rng.standard_normal((2, 200, 110)).astype(dtype)
        b = rng.standard_normal((2, 201, 110)).astype(dtype).swapaxes(1, 2)
        got = np.empty((2, 200, 201), dtype)
        _call(fn, a, b, got)
        if not np.allclose(got, np.matmul(a, b), rtol=1e-4, atol=1e-4):
            fn = None
    _batched[dtype] = fn
    return fn


def batchedMatmul(a, b, out):
    """``out = a @ b`` for stacks of matrices ((S, M, K) @ (S, K, N) -> (S, M, N)), ``a`` and ``b``
    each C-contiguous or the ``swapaxes(1, 2)`` of a C-contiguous stack, ``out`` C-contiguous, one
    float32 or float64 dtype: through OpenBLAS's batched product where it can, else ``np.matmul``."""
    dtype = out.dtype
    if (a.ndim == b.ndim == out.ndim == 3 and a.dtype == b.dtype == dtype and dtype in (np.float32, np.float64)
            and out.flags.c_contiguous and a.shape[0] == b.shape[0] == out.shape[0] and a.shape[2] == b.shape[1]
            and out.shape[1:] == (a.shape[1], b.shape[2]) and min(out.shape) > 0
            and out.shape[1] * out.shape[2] * a.shape[2] > MIN_BATCHED_WORK
            and _storage(a) is not None and _storage(b) is not None and not np.may_share_memory(out, a)
            and not np.may_share_memory(out, b)):
        fn = _batchedFunction(np.dtype(dtype))
        if fn is not None:
            _call(fn, a, b, out)
            return out
    return np.matmul(a, b, out=out)
