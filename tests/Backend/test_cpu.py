"""Kernels of the CPU backend (PuzzleLib/Backend/_cpu.py) tested on their own."""
import numpy as np
import pytest


@pytest.mark.parametrize("classes", [1, 10, 64, 65, 300])
@pytest.mark.parametrize("weighted", [False, True])
def test_cpu_cross_entropy_kernel_against_float64_softmax(classes, weighted):
    """The CPU kernel's paths (few classes: transposed maxima; many; a non-contiguous gradient
    buffer) against a float64 softmax written out by hand."""
    from PuzzleLib.Backend import _cpu
    rng = np.random.RandomState(classes)
    n = 37
    scores = (rng.standard_normal((n, classes)) * 5).astype(np.float32)
    labels = rng.randint(0, classes, n).astype(np.int32)
    weights = rng.uniform(0.5, 2.0, classes).astype(np.float32) if weighted else None
    x = scores.astype(np.float64)
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    w = np.ones(classes) if weights is None else weights.astype(np.float64)
    hot = np.eye(classes)[labels]
    errRef = np.mean(w[labels] * -np.log(p[np.arange(n), labels]))
    gradRef = w[None, :] * (hot - p) / n  # each class entry by its own weight, as PuzzleLib 1.0
    contiguous = np.empty((n, classes), np.float32)
    strided = np.empty((n, 2 * classes), np.float32)[:, ::2]
    for grad in (contiguous, strided):
        err = _cpu.crossEntropyGradError(scores, labels, grad, weights)
        assert err == pytest.approx(errRef, rel=1e-5)
        np.testing.assert_allclose(grad, gradRef, rtol=1e-4, atol=1e-7)


def test_erf_without_scipy_is_math_erf_per_element():
    import math

    from PuzzleLib.Backend import _cpu

    x = np.linspace(-3, 3, 13)
    out = np.empty_like(x)
    _cpu._erfPerElement(x, out)
    np.testing.assert_array_equal(out, [math.erf(v) for v in x])
    out32 = np.empty(13, np.float32)
    _cpu._erfPerElement(x.astype(np.float32), out32)
    np.testing.assert_allclose(out32, out, rtol=1e-6, atol=1e-7)


def test_cpu_sum_of_squares_in_float64():
    from PuzzleLib.Backend import _cpu
    x = np.full((64, 64), 3000, np.float32)
    x[0, 0] = 1  # 3000 ** 2 * 4095 + 1 needs more digits than float32 has
    s = _cpu.sumOfSquares(x)
    assert s.dtype == np.float64 and float(s) == 3000.0 ** 2 * 4095 + 1


def _numpyMomentum(param, grad, mom, lr, momRate):
    """The numpy passes momentumUpdate replaces with one compiled pass."""
    scratch = np.multiply(grad, lr, out=np.empty_like(param))
    mom *= momRate
    mom += scratch
    param += mom


def _updateArrays(n, dtype, seed):
    rng = np.random.default_rng(seed)
    param, grad, mom = (rng.standard_normal(n).astype(dtype) for _ in range(3))
    grad[:6] = [np.nan, np.inf, -np.inf, -0.0, 1e-40, 3e38]  # NaN, infinities, -0, a subnormal, overflow
    mom[6:9] = [-0.0, np.finfo(dtype).tiny, np.nan]
    param[9] = np.inf
    return param, grad, mom


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,path", [(1000, "numpy"), (20011, "thisThread"), (70001, "split"), (300007, "split")])
def test_momentumUpdate_compiled_pass_gives_the_numpy_passes_numbers(n, path, dtype, monkeypatch):
    from PuzzleLib.Backend import _cpu, _jit
    pytest.importorskip("numba")
    monkeypatch.setattr(_jit, "THREADS", 2)
    calls = []
    kernel, runFlat = _jit.kernel, _jit.runFlat
    monkeypatch.setattr(_jit, "kernel", lambda name: calls.append(name) or kernel(name))
    monkeypatch.setattr(_jit, "runFlat", lambda *args: calls.append("split") or runFlat(*args))
    param, grad, mom = _updateArrays(n, dtype, 6)
    ref = [a.copy() for a in (param, grad, mom)]
    scratch = np.empty_like(param)
    with np.errstate(all="ignore"):
        for lr, momRate in ((0.01, 0.9), (0.3, 0.0), (1.0, 0.55)):
            _cpu.momentumUpdate(param, grad, mom, lr, momRate, scratch)
            _numpyMomentum(ref[0], ref[1], ref[2], lr, momRate)
            for a, b in zip((param, grad, mom), ref):
                np.testing.assert_array_equal(a, b)
    assert ("momentumUpdate" in calls) == (path != "numpy")
    assert ("split" in calls) == (path == "split")


def test_momentumUpdate_keeps_numpys_passes_for_numpy_scalar_rates_and_strided_arrays():
    # a numpy float64 rate makes numpy compute a float32 array's update in float64: left to numpy
    from PuzzleLib.Backend import _cpu
    param, grad, mom = _updateArrays(40000, np.float32, 7)
    ref = [a.copy() for a in (param, grad, mom)]
    with np.errstate(all="ignore"):
        _cpu.momentumUpdate(param, grad, mom, np.float64(0.01), 0.9, np.empty_like(param))
        _numpyMomentum(ref[0], ref[1], ref[2], np.float64(0.01), 0.9)
    np.testing.assert_array_equal(param, ref[0])
    np.testing.assert_array_equal(mom, ref[2])
    param, grad, mom = (a.reshape(200, 200)[:, ::2] for a in _updateArrays(40000, np.float64, 8))
    ref = [a.copy() for a in (param, grad, mom)]
    with np.errstate(all="ignore"):
        _cpu.momentumUpdate(param, grad, mom, 0.01, 0.9, np.empty_like(param))
        _numpyMomentum(ref[0], ref[1], ref[2], 0.01, 0.9)
    np.testing.assert_array_equal(param, ref[0])
    np.testing.assert_array_equal(mom, ref[2])
