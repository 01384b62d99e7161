import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import isDtypeSupported, to_gpu
from PuzzleLib.Modules import BatchNorm2D, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._jitpath import compiledActive, compiledKernels, numpyKernels, thisThreadKernels  # noqa: F401 (fixtures)


@pytest.mark.parametrize("shape", [(4, 3, 2, 2), (2, 2, 3, 4), (5, 1, 1, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_train_gradients(shape, affine):
    mod = BatchNorm2D(shape[1], affine=affine)
    analytic, _ = checkModule(mod, np.random.randn(*shape) * 2 + 1, rtol=1e-4, atol=1e-6)
    assert set(analytic) == {"input0"} | ({"scale", "bias"} if affine else set())


def test_eval_gradients_use_running_stats():
    mod = BatchNorm2D(3)
    mod.calcMode(np.float64)
    mod(to_gpu(np.random.randn(4, 3, 2, 2) * 3))
    mod.evalMode()
    checkModule(mod, np.random.randn(2, 3, 2, 2), params=())


def test_train_output_is_normalised_per_map():
    mod = BatchNorm2D(3, sscale=0)
    x = (np.random.randn(8, 3, 4, 4) * np.array([1, 5, 0.2])[None, :, None, None] + 3).astype(np.float32)
    y = mod(to_gpu(x)).get()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)


def test_running_statistics_and_factor_schedule():
    mod = BatchNorm2D(2, initFactor=1.0, minFactor=0.25, sscale=0)
    mod.calcMode(np.float64)
    batches = [np.random.randn(4, 2, 3, 3) * (i + 1) + i for i in range(6)]
    mean, var = np.zeros(2), np.ones(2)
    for t, x in enumerate(batches, start=1):
        mod(to_gpu(x))
        f = max(1.0 / t, 0.25)
        mean = (1 - f) * mean + f * x.mean(axis=(0, 2, 3))
        var = (1 - f) * var + f * x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(mod.attrs["mean"].get().ravel(), mean, rtol=1e-12)
    np.testing.assert_allclose(mod.attrs["var"].get().ravel(), var, rtol=1e-12)
    # eval mode: normalise with the running statistics, and leave them alone
    mod.evalMode()
    mod.vars["scale"].data.set(np.full((1, 2, 1, 1), 2.0))
    mod.vars["bias"].data.set(np.full((1, 2, 1, 1), 0.5))
    x = np.random.randn(3, 2, 3, 3)
    y = mod(to_gpu(x)).get()
    ref = 2.0 * (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5) + 0.5
    np.testing.assert_allclose(y, ref, rtol=1e-10)
    np.testing.assert_allclose(mod.attrs["mean"].get().ravel(), mean, rtol=1e-12)


def test_params_attrs_and_file_round_trip():
    np.random.seed(3)
    mod = BatchNorm2D(4, sscale=0.5)
    assert mod.vars["scale"].data.shape == (1, 4, 1, 1) and abs(mod.scale.get().mean() - 1) < 1
    np.testing.assert_array_equal(mod.bias.get(), 0)
    np.testing.assert_array_equal(mod.attrs["var"].get(), 1)
    mod(to_gpu(np.random.randn(3, 4, 2, 2).astype(np.float32) + 7))
    other = BatchNorm2D(4)
    other.load(mod.save())
    np.testing.assert_array_equal(other.attrs["mean"].get(), mod.attrs["mean"].get())
    np.testing.assert_array_equal(other.scale.get(), mod.scale.get())
    assert BatchNorm2D(2, affine=False).vars == {}


def test_errors():
    mod = BatchNorm2D(3, name="bn")
    with pytest.raises(ModuleError, match=r"BatchNorm2D 'bn'.*4-d data \(N, 3, H, W\).*\(2, 3\)"):
        mod(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"BatchNorm2D 'bn'.*\(N, 3, H, W\).*\(2, 4, 2, 2\)"):
        mod(to_gpu(np.zeros((2, 4, 2, 2), np.float32)))
    with pytest.raises(ModuleError, match=r"BatchNorm2D.*minFactor.*initFactor"):
        BatchNorm2D(3, initFactor=0.1, minFactor=0.5)
    with pytest.raises(ModuleError, match=r"BatchNorm2D.*epsilon must be a positive number, got 0"):
        BatchNorm2D(3, epsilon=0)
    with pytest.raises(ModuleError, match=r"BatchNorm2D.*maps must be a positive"):
        BatchNorm2D(0)


def test_empty_batch_train_refused_eval_passes_through():
    mod = BatchNorm2D(3, name="bn")
    mod(to_gpu(np.random.randn(2, 3, 2, 2).astype(np.float32)))
    mean, var, calls = mod.attrs["mean"].get().copy(), mod.attrs["var"].get().copy(), mod.numOfCalls
    with pytest.raises(ModuleError, match=r"BatchNorm2D 'bn'.*empty batch.*\(0, 3, 2, 2\)"):
        mod(to_gpu(np.zeros((0, 3, 2, 2), np.float32)))
    np.testing.assert_array_equal(mod.attrs["mean"].get(), mean)
    np.testing.assert_array_equal(mod.attrs["var"].get(), var)
    assert mod.numOfCalls == calls
    mod.evalMode()
    assert mod(to_gpu(np.zeros((0, 3, 2, 2), np.float32))).shape == (0, 3, 2, 2)
    assert mod.backward(to_gpu(np.zeros((0, 3, 2, 2), np.float32))).shape == (0, 3, 2, 2)


def test_float16_statistics_are_summed_in_float32():
    # per-channel sums of 8 * 32 * 32 = 8192 values with E[x**2] = 16 pass float16's 65504: summed in
    # float16 the variance was inf and every output 0 (issue 20, finding 1)
    from PuzzleLib.Modules import _norm
    x = (np.random.randn(8, 2, 32, 32) * 4 + 1).astype(np.float16)
    dev = to_gpu(x)
    xhat, sq = to_gpu(np.empty_like(x)), to_gpu(np.empty_like(x))
    mean, var, invstd = _norm.normalize(dev, (0, 2, 3), 1e-5, xhat, sq)
    ref = x.astype(np.float64)
    np.testing.assert_allclose(np.asarray(mean.get(), np.float64).ravel(), ref.mean(axis=(0, 2, 3)), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(np.asarray(var.get(), np.float64).ravel(), ref.var(axis=(0, 2, 3)), rtol=2e-3)
    y = xhat.get().astype(np.float64)
    np.testing.assert_allclose(y.std(axis=(0, 2, 3)), 1, rtol=2e-3)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=2e-3)


@pytest.mark.skipif(not isDtypeSupported(np.float16), reason="this backend has no float16 (the cuda one has)")
def test_float16_module_output_is_normalised():
    mod = BatchNorm2D(4, sscale=0)
    mod.calcMode(np.float16)
    x = (np.random.randn(32, 4, 56, 56) * 3).astype(np.float16)
    y = mod(to_gpu(x)).get().astype(np.float64)
    np.testing.assert_allclose(y.std(axis=(0, 2, 3)), 1, rtol=5e-3)
    grad = mod.backward(to_gpu(np.random.randn(*x.shape).astype(np.float16))).get()
    assert np.isfinite(grad).all() and np.isfinite(mod.vars["scale"].grad.get()).all()


def test_savemean_and_saveinvvar_are_per_map_in_the_params_shape():
    mod = BatchNorm2D(2)
    x = np.zeros((2, 2, 1, 2), np.float32)
    x[:, 0] = [[[1.0, 3.0]], [[5.0, 7.0]]]  # map 0: mean 4, variance 5
    x[:, 1] = 2.0                            # map 1: mean 2, variance 0
    mod(to_gpu(x))
    assert mod.savemean.shape == (1, 2, 1, 1) and mod.saveinvvar.shape == (1, 2, 1, 1)
    np.testing.assert_allclose(mod.savemean.get().ravel(), [4.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(mod.saveinvvar.get().ravel(), [1 / np.sqrt(5 + 1e-5), 1 / np.sqrt(1e-5)], rtol=1e-5)


@pytest.mark.parametrize("shape", [(3, 2, 8, 8), (2, 1, 8, 9)])  # maps of 64 values or more take the kernel
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("path", ["compiledKernels", "thisThreadKernels"])
def test_compiled_path_train_gradients(shape, affine, path, request):
    active = request.getfixturevalue(path)
    mod = BatchNorm2D(shape[1], affine=affine)
    checkModule(mod, np.random.randn(*shape) * 2 + 1, rtol=1e-4, atol=1e-6)
    assert (mod._stats64 is not None) == active


def _trainPass(x, grad, updGrad=True, dtype=np.float32):
    np.random.seed(5)
    mod = BatchNorm2D(x.shape[1], sscale=0.5)
    mod.calcMode(dtype)
    mod.vars["bias"].data.set(np.random.randn(1, x.shape[1], 1, 1).astype(dtype))
    out = mod(to_gpu(x.astype(dtype))).get()
    dx = mod.backward(to_gpu(grad.astype(dtype)), updGrad=updGrad)
    return (out, None if dx is None else dx.get(), mod.vars["scale"].grad.get(), mod.vars["bias"].grad.get(),
            mod.attrs["mean"].get(), mod.attrs["var"].get(), mod.savemean.get(), mod.saveinvvar.get()), mod


@pytest.mark.parametrize("updGrad", [True, False])
def test_compiled_path_is_as_close_to_float64_as_the_numpy_path(updGrad, request):
    # map 2: a mean 400 standard deviations from 0, where float32 (x - mean) loses digits
    x = (np.random.randn(8, 4, 8, 9) * np.array([1, 20, 1e-2, 3])[None, :, None, None] + 4).astype(np.float32)
    grad = np.random.randn(*x.shape).astype(np.float32)
    request.getfixturevalue("numpyKernels")
    exact, _ = _trainPass(x, grad, updGrad, dtype=np.float64)  # the same float32 inputs, in float64
    numpyPath, _ = _trainPass(x, grad, updGrad)
    request.getfixturevalue("compiledKernels")
    got, mod = _trainPass(x, grad, updGrad)
    assert (mod._stats64 is not None) == compiledActive()
    names = ("out", "dx", "dscale", "dbias", "mean", "var", "savemean", "saveinvvar")
    for name, a, b, ref in zip(names, got, numpyPath, exact):
        if a is None:
            assert b is None and not updGrad
            continue
        scale = max(1.0, float(np.abs(ref).max()))
        np.testing.assert_allclose(b, ref, rtol=1e-4, atol=1e-4 * scale, err_msg=name)  # the numpy path
        assert np.abs(a - ref).max() <= np.abs(b - ref).max() + 2e-7 * scale, name
        if compiledActive() and name != "out":
            # float64 statistics and backward, rounded once: a few float32 ulps (the output rounds
            # as numpy's passes do, over the statistics rounded to float32)
            np.testing.assert_allclose(a, ref, rtol=4e-6, atol=4e-6 * scale, err_msg=name)


def test_small_maps_keep_the_numpy_path(compiledKernels):
    # the kernel walks one map at a time, which strides through memory when maps are small
    mod = BatchNorm2D(3)
    mod(to_gpu(np.random.randn(4, 3, 7, 9).astype(np.float32)))
    assert mod._stats64 is None
    mod(to_gpu(np.random.randn(4, 3, 8, 8).astype(np.float32)))
    assert (mod._stats64 is not None) == compiledKernels


def test_compiled_path_takes_a_strided_gradient(compiledKernels):
    x = np.random.randn(4, 3, 8, 8).astype(np.float32)
    big = np.random.randn(4, 3, 8, 16).astype(np.float32)
    mod = BatchNorm2D(3)
    mod(to_gpu(x))
    strided = to_gpu(big)[..., ::2]
    dx = mod.backward(strided).get()
    other = BatchNorm2D(3)
    other.vars["scale"].data.set(mod.vars["scale"].data.get())
    other(to_gpu(x))
    # the same kernel on a contiguous copy (on the array-library path strided sums may round otherwise)
    ref = other.backward(to_gpu(np.ascontiguousarray(big[..., ::2]))).get()
    if compiledKernels:
        np.testing.assert_array_equal(dx, ref)
    np.testing.assert_allclose(dx, ref, rtol=1e-5, atol=1e-6)
