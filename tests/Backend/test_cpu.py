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


_UPDATES = {  # name: (number of state arrays, the call with the rates of each of three steps)
    "sgdUpdate": (0, lambda k, p, g, st, sc, r: k.sgdUpdate(p, g, r[0], sc)),
    "momentumUpdate": (1, lambda k, p, g, st, sc, r: k.momentumUpdate(p, g, st[0], r[0], r[1], sc)),
    "nesterovUpdate": (1, lambda k, p, g, st, sc, r: k.nesterovUpdate(p, g, st[0], r[0], r[1], sc)),
    "adamUpdate": (2, lambda k, p, g, st, sc, r: k.adamUpdate(p, g, st[0], st[1], r[0], r[1], 0.999, 1e-8, sc)),
}
_RATES = ((0.01, 0.9), (1.0, 0.0), (0.3, 0.55))


def _updateArrays(n, dtype, seed, states):
    rng = np.random.default_rng(seed)
    param, grad = (rng.standard_normal(n).astype(dtype) for _ in range(2))
    grad[:6] = [np.nan, np.inf, -np.inf, -0.0, 1e-40, 3e38]  # NaN, infinities, -0, a subnormal, overflow
    param[9] = np.inf
    state = [np.abs(rng.standard_normal(n)).astype(dtype) for _ in range(states)]  # Adam's ms >= 0
    for a in state:
        a[6:9] = [0.0, np.finfo(dtype).tiny, np.nan]
    return param, grad, state


def _runUpdate(name, arrays, monkeypatch, numpyPath):
    """Three steps of the update ``name`` on copies of ``arrays``; the arrays after it."""
    from PuzzleLib.Backend import _cpu, _jit
    if numpyPath:
        monkeypatch.setattr(_jit, "SMALL_SIZE", float("inf"))
        monkeypatch.setattr(_jit, "MIN_SIZE", float("inf"))
    param, grad, state = arrays[0].copy(), arrays[1].copy(), [a.copy() for a in arrays[2]]
    with np.errstate(all="ignore"):
        for rates in _RATES:
            _UPDATES[name][1](_cpu, param, grad, state, np.empty_like(param), rates)
    monkeypatch.undo()
    return [param, grad] + state


@pytest.mark.parametrize("name", sorted(_UPDATES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,path", [(1000, "numpy"), (20011, "thisThread"), (300007, "thisThread"),
                                    (1048583, "split")])
def test_optimizer_updates_compiled_pass_gives_the_numpy_passes_numbers(name, n, path, dtype, monkeypatch):
    from PuzzleLib.Backend import _jit
    pytest.importorskip("numba")
    arrays = _updateArrays(n, dtype, 6, _UPDATES[name][0])
    ref = _runUpdate(name, arrays, monkeypatch, numpyPath=True)
    monkeypatch.setattr(_jit, "THREADS", 2)
    calls = []
    kernel, runFlat = _jit.kernel, _jit.runFlat
    monkeypatch.setattr(_jit, "kernel", lambda kname: calls.append(kname) or kernel(kname))
    monkeypatch.setattr(_jit, "runFlat", lambda *args: calls.append("split") or runFlat(*args))
    got = _runUpdate(name, arrays, monkeypatch, numpyPath=False)
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a, b)
    assert (name in calls) == (path != "numpy")
    assert ("split" in calls) == (path == "split")


@pytest.mark.parametrize("name", sorted(_UPDATES))
def test_optimizer_updates_keep_numpys_passes_for_numpy_scalar_rates_and_strided_arrays(name, monkeypatch):
    # a numpy float64 rate makes numpy compute a float32 array's update in float64: left to numpy
    from PuzzleLib.Backend import _cpu, _jit
    calls = []
    kernel = _jit.kernel
    monkeypatch.setattr(_jit, "kernel", lambda kname: calls.append(kname) or kernel(kname))
    param, grad, state = _updateArrays(40000, np.float32, 7, _UPDATES[name][0])
    with np.errstate(all="ignore"):
        _UPDATES[name][1](_cpu, param, grad, state, np.empty_like(param), (np.float64(0.01), 0.9))
        param, grad, state = _updateArrays(40000, np.float64, 8, _UPDATES[name][0])
        strided = [a.reshape(200, 200)[:, ::2] for a in [param, grad] + state]
        _UPDATES[name][1](_cpu, strided[0], strided[1], strided[2:], np.empty_like(strided[0]), (0.01, 0.9))
    assert name not in calls
