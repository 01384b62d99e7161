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
