import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import InstanceNorm2D, ModuleError
from tests.gradcheck import checkModule


@pytest.mark.parametrize("shape", [(2, 3, 3, 4), (1, 2, 2, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_gradients(shape, affine):
    mod = InstanceNorm2D(shape[1], affine=affine)
    if affine:
        mod.vars["scale"].data.set(np.random.randn(1, shape[1], 1, 1).astype(np.float32))
    analytic, _ = checkModule(mod, np.random.randn(*shape) * 2 + 1, rtol=1e-4, atol=1e-6)
    assert set(analytic) == {"input0"} | ({"scale", "bias"} if affine else set())


def test_normalises_each_sample_and_map_in_both_modes():
    mod = InstanceNorm2D(3)
    x = np.random.randn(2, 3, 4, 5).astype(np.float32) * 3 + 1
    y = mod(to_gpu(x)).get()
    np.testing.assert_allclose(y.mean(axis=(2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(2, 3)), 1, atol=1e-3)
    mod.evalMode()
    np.testing.assert_allclose(mod(to_gpu(x)).get(), y, rtol=1e-6)


def test_errors():
    with pytest.raises(ModuleError, match=r"InstanceNorm2D 'n'.*\(N, 3, H, W\).*\(2, 2, 4, 4\)"):
        InstanceNorm2D(3, name="n")(to_gpu(np.zeros((2, 2, 4, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"InstanceNorm2D.*numOfMaps"):
        InstanceNorm2D(0)


@pytest.mark.parametrize("shape", [(0, 3, 4, 4), (2, 3, 0, 4)])
def test_empty_data_gives_empty_output_and_gradients(shape):
    mod = InstanceNorm2D(3)
    assert mod(to_gpu(np.zeros(shape, np.float32))).shape == shape
    assert mod.backward(to_gpu(np.zeros(shape, np.float32))).shape == shape
    np.testing.assert_array_equal(mod.vars["scale"].grad.get(), 0)
    np.testing.assert_array_equal(mod.vars["bias"].grad.get(), 0)


def test_float16_statistics_are_summed_in_float32():
    # each map's sum of squares over 64 * 64 values with E[x**2] = 64 passes float16's 65504
    # (issue 20, finding 1: InstanceNorm overflowed from about 256x256 maps of unit data)
    from PuzzleLib.Modules import _norm
    x = (np.random.randn(2, 3, 64, 64) * 8).astype(np.float16)
    xhat, sq = to_gpu(np.empty_like(x)), to_gpu(np.empty_like(x))
    _, var, _ = _norm.normalize(to_gpu(x), (2, 3), 1e-5, xhat, sq)
    np.testing.assert_allclose(np.asarray(var.get(), np.float64).reshape(2, 3), x.astype(np.float64).var(axis=(2, 3)),
                               rtol=2e-3)
    np.testing.assert_allclose(xhat.get().astype(np.float64).std(axis=(2, 3)), 1, rtol=2e-3)


def test_savemean_and_saveinvvar_hold_each_sample_and_map_statistics():
    mod = InstanceNorm2D(2, epsilon=1e-3)
    assert mod.savemean is None and mod.saveinvvar is None
    x = np.zeros((2, 2, 1, 2), np.float32)
    x[0, 0, 0] = [1.0, 3.0]   # mean 2, variance 1
    x[0, 1, 0] = [5.0, 5.0]   # mean 5, variance 0
    x[1, 0, 0] = [0.0, 4.0]   # mean 2, variance 4
    x[1, 1, 0] = [-1.0, 1.0]  # mean 0, variance 1
    mod(to_gpu(x))
    assert mod.savemean.shape == (2, 2, 1, 1)
    np.testing.assert_allclose(mod.savemean.get().ravel(), [2.0, 5.0, 2.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(mod.saveinvvar.get().ravel(), 1 / np.sqrt(np.array([1.0, 0.0, 4.0, 1.0]) + 1e-3),
                               rtol=1e-5)


def test_float32_statistics_round_as_numpys_mean_and_var():
    # each map's values are contiguous: they are summed by the array library's own reduction, so on
    # the CPU savemean is np.mean's float32 value and the normalised data agree with (x - mean) / sqrt(var + eps)
    # taken by numpy to a float32 rounding (an InstanceNorm2D of PuzzleLib 1.0 is checked so)
    x = np.random.RandomState(0).randn(8, 3, 4, 4).astype(np.float32)
    mod = InstanceNorm2D(3)
    y = mod(to_gpu(x)).get()
    if gpuarray.xp is np:  # CuPy's reductions sum in an order of their own
        np.testing.assert_array_equal(mod.savemean.get(), x.mean(axis=(2, 3), keepdims=True))
    np.testing.assert_allclose(mod.savemean.get(), x.mean(axis=(2, 3), keepdims=True), rtol=1e-6, atol=1e-7)
    flat = x.reshape(24, 16)
    ref = (flat - flat.mean(axis=1, keepdims=True)) / np.sqrt(flat.var(axis=1, keepdims=True) + mod.epsilon)
    np.testing.assert_allclose(y.reshape(24, 16), ref, rtol=1e-5, atol=1e-8)
