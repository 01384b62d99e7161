"""Backend/_blas.py: OpenBLAS's idle threads told to sleep soon (OPENBLAS_THREAD_TIMEOUT=4) when the
compiled kernels are first used, unless the program set the variable; products unchanged; one
OpenBLAS thread for a block of the calling thread's work, its setting restored after."""
import ctypes
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from PuzzleLib.Backend import _blas

if _blas._library() is None:
    pytest.skip("numpy's BLAS here is not the scipy-openblas numpy ships (nothing to shorten)", allow_module_level=True)

_PROGRAM = """
import json, numpy as np
from PuzzleLib.Backend import _blas
rng = np.random.RandomState(0)
a = rng.rand(700, 700).astype(np.float32)
before = a @ a
first = _blas.threadTimeout()
applied = _blas.shortenThreadTimeout()
after = a @ a
print(json.dumps({"first": first, "applied": applied, "now": _blas.threadTimeout(),
                  "again": _blas.shortenThreadTimeout(), "same": bool((before == after).all())}))
"""


def _run(**env):
    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    environ.update(env)
    out = subprocess.run([sys.executable, "-c", _PROGRAM], env=environ, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_timeout_shortened_once_and_products_unchanged():
    result = _run()
    assert result == {"first": 0, "applied": True, "now": 4, "again": True, "same": True}


def test_the_programs_own_setting_is_kept():
    result = _run(OPENBLAS_THREAD_TIMEOUT="10")
    assert result == {"first": 10, "applied": False, "now": 10, "again": False, "same": True}


def test_one_thread_is_set_for_the_block_and_restored():
    lib = _blas._library()
    if lib is None or not hasattr(lib, "openblas_set_num_threads_local"):
        pytest.skip("numpy's BLAS here is not the OpenBLAS numpy ships")
    a = np.random.RandomState(1).standard_normal((300, 300)).astype(np.float32)
    want = a @ a
    setLocal = lib.openblas_set_num_threads_local
    setLocal.argtypes, setLocal.restype = [ctypes.c_int], ctypes.c_int
    before = setLocal(2)            # a known setting to come back to
    try:
        with _blas.oneThread():
            np.testing.assert_array_equal(a @ a, want)
            assert setLocal(1) == 1     # one thread inside the block
        assert setLocal(2) == 2         # the thread's own setting afterwards
    finally:
        setLocal(before)


def test_one_thread_without_the_function_does_nothing(monkeypatch):
    monkeypatch.setattr(_blas, "_setLocal", [None])
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    with _blas.oneThread():
        np.testing.assert_array_equal(a @ a.T, np.float64(a) @ np.float64(a).T)
