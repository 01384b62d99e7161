"""Backend/_blas.py: OpenBLAS's idle threads told to sleep soon (OPENBLAS_THREAD_TIMEOUT=4) when the
compiled kernels are first used, unless the program set the variable; products unchanged."""
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


# ---- batchedMatmul -------------------------------------------------------------------------------

_call = _blas._call

def _stack(rng, shape, dtype, transposed):
    """A (S, R, C) stack, C-contiguous or the swapaxes(1, 2) view of a C-contiguous (S, C, R) one."""
    S, R, C = shape
    if transposed:
        return rng.standard_normal((S, C, R)).astype(dtype).swapaxes(1, 2)
    return rng.standard_normal((S, R, C)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transA", [False, True])
@pytest.mark.parametrize("transB", [False, True])
def test_batched_product_matches_matmul(dtype, transA, transB, monkeypatch):
    # the Winograd weight-gradient shape: (16, C, P) @ (16, P, O) with a long P, above the batched threshold
    rng = np.random.RandomState(1)
    a = _stack(rng, (16, 24, 8192), dtype, transA)
    b = _stack(rng, (16, 8192, 40), dtype, transB)
    assert 24 * 40 * 8192 > _blas.MIN_BATCHED_WORK
    out = np.full((16, 24, 40), np.nan, dtype)
    assert _blas._batchedFunction(np.dtype(dtype)) is not None  # found, and its first product checked
    calls = []
    monkeypatch.setattr(_blas, "_call", lambda *args: calls.append(1) or _call(*args))
    got = _blas.batchedMatmul(a, b, out)
    assert calls == [1]  # OpenBLAS's batched product, not the np.matmul fallback
    assert got is out
    exact = np.matmul(a.astype(np.float64), b.astype(np.float64))
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(out, exact, rtol=tol, atol=tol * np.abs(exact).max())


def test_batched_product_small_or_odd_layouts_are_numpys(monkeypatch):
    monkeypatch.setattr(_blas, "_call", lambda *args: pytest.fail("the batched product took %s" % (args[1:],)))
    rng = np.random.RandomState(2)
    cases = [
        (rng.standard_normal((16, 100, 100)).astype(np.float32), rng.standard_normal((16, 100, 100)).astype(np.float32)),  # 100^3: OpenBLAS's crashing small path
        (rng.standard_normal((4, 300, 200)).astype(np.float32)[:, ::2], rng.standard_normal((4, 200, 160)).astype(np.float32)),  # strided rows
        (rng.standard_normal((4, 150, 200)).astype(np.float32), rng.standard_normal((4, 200, 160)).astype(np.float64)),  # mixed dtypes
        (rng.standard_normal((4, 150, 200)).astype(np.float16), rng.standard_normal((4, 200, 160)).astype(np.float16)),
    ]
    for a, b in cases:
        dtype = np.result_type(a, b)
        out = np.empty((a.shape[0], a.shape[1], b.shape[2]), dtype)
        _blas.batchedMatmul(a, b, out)
        np.testing.assert_array_equal(out, np.matmul(a, b))
