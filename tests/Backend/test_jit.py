"""The compiled CPU kernels (PuzzleLib/Backend/_jit.py) against the numpy formulas they replace."""
import os
import time
from functools import partial

import numpy as np
import pytest

from PuzzleLib.Backend import _jit

pytest.importorskip("numba")


def _windowsFirstMax(x):
    """Reference 2x2 stride-2 max pooling: max and first-maximum offset (row-major) per window."""
    N, C, H, W = x.shape
    Ho, Wo = H // 2, W // 2
    win = x[:, :, :2 * Ho, :2 * Wo].reshape(N, C, Ho, 2, Wo, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, 4)
    best = win.max(axis=-1)
    first = (win == best[..., None]).argmax(axis=-1)
    return best, first


@pytest.mark.parametrize("shape", [(2, 3, 6, 8), (1, 2, 7, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maxPool2x2_takes_the_first_maximum_and_scatters_to_it(shape, dtype):
    rng = np.random.default_rng(0)
    x = np.maximum(np.round(rng.standard_normal(shape), 1), 0).astype(dtype)  # ties: zeros and repeats
    x[0, 0, 0, 1] = np.nan
    out = np.empty(shape[:2] + (shape[2] // 2, shape[3] // 2), dtype)
    idx = np.empty(out.shape, np.int8)
    _jit.kernel("maxPool2x2")(x, out, idx, 0, shape[0])
    best, first = _windowsFirstMax(x)
    np.testing.assert_array_equal(out, best)  # NaN where the window holds one
    nan = np.isnan(best)
    np.testing.assert_array_equal(idx[~nan], first[~nan])
    assert (idx[nan] == -1).all()

    grad = rng.standard_normal(out.shape).astype(dtype)
    dx = np.full(shape, 7.0, dtype)  # every element is written, leftover rows and columns too
    _jit.kernel("maxPool2x2Backward")(grad, idx, dx, 0, shape[0])
    ref = np.zeros(shape, dtype)
    for n, c, i, j in zip(*np.nonzero(~nan)):
        k = first[n, c, i, j]
        ref[n, c, 2 * i + k // 2, 2 * j + k % 2] = grad[n, c, i, j]
    np.testing.assert_array_equal(dx, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchNormTrain_sums_in_float64_and_rounds_elementwise_as_numpy(dtype):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((6, 3, 40)) * [[[1.0], [30.0], [1e-3]]] + [[[5.0], [-2.0], [1e3]]]).astype(dtype)
    scale, bias = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    out, stats = np.empty_like(x), np.empty((3, 3))
    _jit.kernel("batchNormTrain")(x, scale, bias, 1e-5, out, stats, 0, 3)
    ref = x.astype(np.float64)
    mean, var = ref.mean(axis=(0, 2)), ref.var(axis=(0, 2))
    np.testing.assert_allclose(stats[0], mean, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(stats[1], var, rtol=1e-12)
    np.testing.assert_allclose(stats[2], 1 / np.sqrt(var + 1e-5), rtol=1e-12)
    # the elementwise part: numpy's passes over the statistics rounded to the data's dtype, bit for bit
    m, f = stats[0].astype(dtype)[None, :, None], stats[2].astype(dtype)[None, :, None]
    np.testing.assert_array_equal(out, ((x - m) * f) * scale[None, :, None] + bias[None, :, None])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchNormBackward_is_the_float64_formula_rounded_once(dtype):
    rng = np.random.default_rng(2)
    g, x = rng.standard_normal((5, 4, 30)).astype(dtype), (rng.standard_normal((5, 4, 30)) * 3 + 1).astype(dtype)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    mean, var = x64.mean(axis=(0, 2)), x64.var(axis=(0, 2))
    stats = np.stack([mean, var, 1 / np.sqrt(var + 1e-5)])
    factor = rng.uniform(0.5, 2.0, 4) * stats[2]
    sums, out = np.empty((2, 4)), np.empty_like(g)
    kern = _jit.kernel("batchNormBackward")
    kern(g, x, stats, factor, 150.0, sums, out, True, 0, 4)
    h64 = (x64 - mean[None, :, None]) * stats[2][None, :, None]
    sumG, sumGX = g64.sum(axis=(0, 2)), (g64 * h64).sum(axis=(0, 2))
    np.testing.assert_allclose(sums, [sumG, sumGX], rtol=1e-12, atol=1e-12)
    ref = factor[None, :, None] * (g64 - sumG[None, :, None] / 150 - h64 * sumGX[None, :, None] / 150)
    ulp = 2.0 ** (-52 if dtype == np.float64 else -23)
    np.testing.assert_allclose(out, ref, rtol=0, atol=np.abs(ref).max() * 4 * ulp)
    before = out.copy()
    sums[:] = 0
    kern(g, x, stats, factor, 150.0, sums, out, False, 0, 4)  # sums only: out left alone
    np.testing.assert_array_equal(out, before)
    np.testing.assert_allclose(sums, [sumG, sumGX], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("inplace", [False, True])
def test_reluBackward_is_grad_times_sign_of_y(inplace):
    rng = np.random.default_rng(3)
    y = np.maximum(rng.standard_normal(1000), 0).astype(np.float32)
    y[:3] = [np.nan, 0.0, 0.0]
    g = rng.standard_normal(1000).astype(np.float32)
    g[1:3] = [np.inf, -2.0]  # inf * 0 is NaN in numpy's formula too
    with np.errstate(invalid="ignore"):
        ref = g * np.sign(y)
    out = g.copy() if inplace else np.empty_like(g)
    _jit.kernel("reluBackward")(out if inplace else g, y, out)
    np.testing.assert_array_equal(out, ref)


def test_wanted_takes_large_contiguous_float_arrays_of_one_dtype(monkeypatch):
    monkeypatch.setattr(_jit, "MIN_SIZE", 100)
    big = np.zeros((10, 20), np.float32)
    assert _jit.wanted(big, np.zeros(5, np.float32))
    assert not _jit.wanted(np.zeros(99, np.float32))
    assert not _jit.wanted(big.astype(np.float16))
    assert not _jit.wanted(big, np.zeros(5, np.float64))
    assert not _jit.wanted(big[:, ::2].repeat(2, axis=0).T)
    assert not _jit.wanted(big.astype(np.int32))


def test_select_sends_mid_size_arrays_to_this_thread_and_large_ones_to_the_split(monkeypatch):
    monkeypatch.setattr(_jit, "SMALL_SIZE", 100)
    monkeypatch.setattr(_jit, "MIN_SIZE", 1000)
    monkeypatch.setattr(_jit, "SPLIT_SIZE", 5000)
    small, mid, big, split, light = (np.zeros(n, np.float32) for n in (99, 100, 1000, 5000, 10000))
    assert _jit.select("reluBackward", small, small, small) is None
    assert _jit.select("reluBackward", mid, mid, mid) is _jit.kernel("reluBackward")
    assert _jit.select("maxPool2x2", mid).func is _jit._onThisThread
    assert _jit.select("maxPool2x2Backward", split).func is _jit.run
    # the light kernels split from twice SPLIT_SIZE
    assert _jit.select("maxPool2x2", split).func is _jit._onThisThread
    assert _jit.select("reluBackward", split, split, split) is _jit.kernel("reluBackward")
    assert _jit.select("maxPool2x2", light).func is _jit.run
    assert _jit.select("reluBackward", light, light, light).func is _jit.runFlat
    # batch normalisation sums in float64 (numbers of its own): from MIN_SIZE only
    assert _jit.select("batchNormTrain", mid) is None
    assert _jit.select("batchNormTrain", big).func is _jit._onThisThread
    assert _jit.select("batchNormTrain", split).func is _jit.run
    assert _jit.select("reluBackward", mid.astype(np.float16)) is None


def test_a_call_on_this_thread_gives_the_splits_numbers(monkeypatch):
    monkeypatch.setattr(_jit, "THREADS", 2)
    rng = np.random.default_rng(5)
    x = np.maximum(rng.standard_normal((9, 8, 14, 12)), -0.5).astype(np.float32)
    outs = []
    for split in (float("inf"), 0):
        monkeypatch.setattr(_jit, "SMALL_SIZE", 0)
        monkeypatch.setattr(_jit, "MIN_SIZE", 0)
        monkeypatch.setattr(_jit, "SPLIT_SIZE", split)
        out, idx, dx = np.empty((9, 8, 7, 6), np.float32), np.empty((9, 8, 7, 6), np.int8), np.empty_like(x)
        _jit.select("maxPool2x2", x)(9, x, out, idx)
        _jit.select("maxPool2x2Backward", dx)(9, out, idx, dx)
        flat = x.reshape(9, 8, 168)
        ones = np.ones(8, np.float32)
        y, stats = np.empty_like(flat), np.empty((3, 8))
        _jit.select("batchNormTrain", flat)(8, flat, ones, ones, 1e-5, y, stats)
        outs.append((out, idx, dx, y, stats))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


def test_reluForward_is_np_maximum_bit_for_bit():
    x = np.array([np.nan, -np.nan, 0.0, -0.0, -1.0, 1.0, np.inf, -np.inf, 1e-45, -1e-45] * 3, np.float32)
    x[-1] = np.float32(np.nan) * -1  # a NaN with its sign bit set
    out = np.empty_like(x)
    _jit.kernel("reluForward")(x, out)
    np.testing.assert_array_equal(out.view(np.uint32), np.maximum(x, 0).view(np.uint32))
    _jit.kernel("reluForward")(x, x)  # in place
    np.testing.assert_array_equal(x.view(np.uint32), out.view(np.uint32))


def test_a_net_of_the_tutorials_sizes_never_imports_numba():
    # batch 100 through 100 hidden units (10^4-element arrays), then a prediction on 1024 points
    # (10^5): numpy's path, so no numba import (and no compiled-cache load) for a small program
    import subprocess
    import sys
    code = """if True:
        import sys
        import numpy as np
        from PuzzleLib.Backend.gpuarray import to_gpu
        from PuzzleLib.Containers import Sequential
        from PuzzleLib.Cost import MSE
        from PuzzleLib.Handlers import Trainer
        from PuzzleLib.Modules import Activation, Linear
        from PuzzleLib.Modules.Activation import relu
        from PuzzleLib.Optimizers import MomentumSGD
        net = Sequential()
        net.append(Linear(1, 100))
        net.append(Activation(relu))
        net.append(Linear(100, 1))
        optimizer = MomentumSGD(learnRate=1e-3, momRate=0.9)
        optimizer.setupOn(net)
        x = np.linspace(-1, 1, 1000, dtype=np.float32).reshape(-1, 1)
        Trainer(net, MSE(), optimizer, batchsize=100).train(to_gpu(x), to_gpu(np.sin(x)))
        net(to_gpu(np.linspace(-3, 3, 1024, dtype=np.float32).reshape(-1, 1)))  # its 1024-point grid
        print("numba" in sys.modules)
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PUZZLELIB_BACKEND="cpu"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]


def _allKernels(threads, monkeypatch):
    """Every kernel through ``caller`` (the threaded split) with ``threads`` threads."""
    monkeypatch.setattr(_jit, "THREADS", threads)
    rng = np.random.default_rng(4)
    x = np.maximum(rng.standard_normal((5, 7, 6, 10)), -0.5).astype(np.float32)
    out, idx = np.empty((5, 7, 3, 5), np.float32), np.empty((5, 7, 3, 5), np.int8)
    _jit.caller("maxPool2x2")(5, x, out, idx)
    dx = np.empty_like(x)
    _jit.caller("maxPool2x2Backward")(5, out, idx, dx)
    flat = x.reshape(5, 7, 60)
    ones = np.ones(7, np.float32)
    y, stats = np.empty_like(flat), np.empty((3, 7))
    _jit.caller("batchNormTrain")(7, flat, ones, ones, 1e-5, y, stats)
    sums, dflat = np.empty((2, 7)), np.empty_like(flat)
    _jit.caller("batchNormBackward")(7, flat, flat, stats, stats[2], 300.0, sums, dflat, True)
    g = rng.standard_normal(20000).astype(np.float32)
    relu = np.empty_like(g)
    _jit.caller("reluBackward")(g, np.maximum(g[::-1], 0), relu)
    return out, idx, dx, y, stats, sums, dflat, relu


def test_a_split_over_threads_gives_the_same_numbers(monkeypatch):
    one = _allKernels(1, monkeypatch)
    for threads in (2, 3):
        for a, b in zip(one, _allKernels(threads, monkeypatch)):
            np.testing.assert_array_equal(a, b)


def test_an_error_in_a_helper_threads_part_is_raised_in_the_caller(monkeypatch):
    import threading
    monkeypatch.setattr(_jit, "THREADS", 2)
    helperRan = threading.Event()
    seen = []

    def part(lo, hi):
        if threading.current_thread() is threading.main_thread():
            assert helperRan.wait(10)  # the caller's first part waits until the helper has taken one
            seen.append(lo)
        else:
            helperRan.set()
            raise ValueError("part %d-%d" % (lo, hi))

    monkeypatch.setattr(_jit, "kernel", lambda name: part)
    with pytest.raises(ValueError, match=r"part \d+-\d+"):
        _jit.run("anything", 16)
    assert len(seen) >= 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_threads_of_its_own(monkeypatch):
    monkeypatch.setattr(_jit, "THREADS", 2)
    g = np.ones(20000, np.float32)
    out = np.empty_like(g)
    _jit.caller("reluBackward")(g, g, out)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # the child: a hang here would fail the test by timeout below
        try:
            out[:] = 0
            _jit.caller("reluBackward")(g, g, out)
            os._exit(0 if out.all() else 1)
        finally:
            os._exit(2)
    for _ in range(200):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung in the threaded kernel")
    assert os.waitstatus_to_exitcode(status) == 0


def test_split_products_run_each_call_on_one_blas_thread_only_when_spread(monkeypatch):
    # calls spread over threads each keep their matrix products to their own thread; a single call
    # (or a one-thread machine) keeps OpenBLAS's threads
    import contextlib
    import threading
    from PuzzleLib.Backend import _blas
    inside = threading.local()

    @contextlib.contextmanager
    def oneThread():
        inside.alone = True
        try:
            yield
        finally:
            inside.alone = False

    monkeypatch.setattr(_blas, "oneThread", oneThread)
    seen = []

    def call(i):
        seen.append((i, getattr(inside, "alone", False)))

    monkeypatch.setattr(_jit, "THREADS", 2)
    _jit.splitProducts([partial(call, i) for i in range(5)])
    assert sorted(seen) == [(i, True) for i in range(5)]
    seen.clear()
    _jit.splitProducts([partial(call, 7)])
    assert seen == [(7, False)]
    seen.clear()
    monkeypatch.setattr(_jit, "THREADS", 1)
    _jit.splitProducts([partial(call, i) for i in range(3)])
    assert seen == [(0, False), (1, False), (2, False)]
