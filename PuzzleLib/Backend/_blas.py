"""numpy's OpenBLAS, reached directly for what numpy does not expose (private): its idle threads made to
sleep soon after a product, and one thread for the calling thread's products.

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

``oneThread()`` has the calling thread's products run on that thread alone, for passes that spread
their own parts over threads (the Winograd convolutions' blocks, ``Modules/_winograd.py``).
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


# ---- one OpenBLAS thread for the calling thread ---------------------------------------------------

_setLocal = []  # [openblas_set_num_threads_local as a ctypes function, or None]


class oneThread:
    """``with oneThread():`` the calling thread's OpenBLAS products run on that thread alone
    (``openblas_set_num_threads_local``), as when two threads each run their own part of a pass;
    the thread's setting is restored after. Does nothing where the function is missing."""

    def __enter__(self):
        if not _setLocal:
            lib = _library()
            fn = getattr(lib, "openblas_set_num_threads_local", None) if lib is not None else None
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                fn.restype = ctypes.c_int
            _setLocal.append(fn)
        fn = _setLocal[0]
        self._previous = None if fn is None else fn(1)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            _setLocal[0](self._previous)
        return False
