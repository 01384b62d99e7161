"""The CUDA backend against the numpy one: every named kernel, the device-array basics, float16.

All tests here are marked ``gpu``: they run with ``PUZZLELIB_BACKEND=cuda`` on a machine with a
CUDA device and CuPy, and skip (with the reason) everywhere else. The numpy reference is
``PuzzleLib.Backend._cpu``, imported directly, so both backends run in one process.
"""
import numpy as np
import pytest

from PuzzleLib.Backend import _cpu, gpuarray
from tests.Backend._optrules import RULES, draw, reference

pytestmark = pytest.mark.gpu

kernels = gpuarray.kernels

# (dtype, rtol, atol) the device must match numpy to; float16 is compared with a float32 reference
DTYPES = [(np.float32, 1e-5, 1e-6), (np.float64, 1e-12, 1e-12), (np.float16, 2e-3, 2e-3)]
SHAPES = [(1,), (7, 5), (3, 4, 6)]


def _refDtype(dtype):
    return np.float32 if dtype == np.float16 else dtype


def _host(shape, dtype, low=-3.0, high=3.0):
    return np.random.uniform(low, high, size=shape).astype(dtype)


def _close(actual, expected, rtol, atol):
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64), rtol=rtol, atol=atol)


# ---- device arrays ---------------------------------------------------------------------------------

def test_backend_is_cuda():
    import cupy
    assert gpuarray.backendName == "cuda" and gpuarray.isGPU
    assert gpuarray.xp is cupy and gpuarray.GPUArray is cupy.ndarray


def test_to_gpu_copies_to_the_device_and_get_copies_back():
    import cupy
    host = np.arange(12, dtype=np.float32).reshape(3, 4)
    dev = gpuarray.to_gpu(host)
    assert isinstance(dev, cupy.ndarray) and gpuarray.isDeviceArray(dev)
    assert not gpuarray.isDeviceArray(host)
    assert dev.data.device_id == cupy.cuda.Device().id
    host[0, 0] = 100.0  # the device copy is independent of the host array
    back = dev.get()
    assert type(back) is np.ndarray and back[0, 0] == 0.0
    back[0, 1] = -1.0
    assert float(dev[0, 1].get()) == 1.0
    np.testing.assert_array_equal(gpuarray.to_host(dev), np.arange(12, dtype=np.float32).reshape(3, 4))


def test_to_gpu_of_a_noncontiguous_host_array():
    host = np.arange(20, dtype=np.float32).reshape(4, 5)[:, ::2]
    dev = gpuarray.to_gpu(host)
    assert dev.flags.c_contiguous
    np.testing.assert_array_equal(dev.get(), host)


def test_array_methods_of_the_api():
    a = gpuarray.zeros((4, 3), np.float32)
    a.fill(2.0)
    a.set(np.ones((4, 3), np.float32) * 3)
    b = (a * 2 + 1)[1:3]
    b /= 7
    assert b.shape == (2, 3) and b.dtype == np.float32 and b.size == 6 and b.ndim == 2 and b.nbytes == 24
    np.testing.assert_allclose(b.get(), np.ones((2, 3)))
    np.testing.assert_allclose(b.ravel().reshape(3, 2).astype(np.float64).copy().get(), np.ones((3, 2)))
    e = gpuarray.empty((2, 2), np.float16)
    assert e.dtype == np.float16 and gpuarray.isDeviceArray(e)
    assert gpuarray.asDevice(a) is a
    assert gpuarray.isDeviceArray(gpuarray.asDevice(np.ones(3)))
    assert gpuarray.kernels.plain(a) is a


def test_address_and_flat_span_of_an_arena_view():
    root = gpuarray.zeros((100,), np.float32)
    view = root[10:20].reshape(2, 5)
    assert kernels.address(view) == kernels.address(root) + 10 * 4
    span = kernels.flatSpan(view, 30)
    assert span.shape == (30,) and kernels.address(span) == kernels.address(view)
    span.fill(7)
    host = root.get()
    assert (host[10:40] == 7).all() and (host[:10] == 0).all() and (host[40:] == 0).all()
    assert kernels.flatSpan(view, 91) is None  # runs past the end of the root array


def test_dtypes_supported_include_float16():
    dtypes = [np.dtype(d) for d, _ in gpuarray.dtypesSupported()]
    assert np.dtype(np.float32) in dtypes and np.dtype(np.float16) in dtypes
    assert gpuarray.isDtypeSupported(np.float16)


def test_to_scalar_and_synchronize():
    value = gpuarray.to_gpu(np.array(2.5, np.float32))
    gpuarray.synchronize()
    assert kernels.toScalar(value) == 2.5 and kernels.toScalar(np.float32(1.5)) == 1.5 and kernels.toScalar(3) == 3.0


def test_init_device_refuses_a_bad_index():
    from PuzzleLib.Errors import BackendError
    with pytest.raises(BackendError, match="out of range"):
        kernels.initDevice(10 ** 6)


# ---- activations -----------------------------------------------------------------------------------

ACTIVATION_ARGS = {"leakyRelu": (0.1,), "elu": (1.3,), "clip": (-0.5, 1.5)}


@pytest.mark.parametrize("act", sorted(_cpu.activationKernels))
@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_forward_backward(act, dtype, rtol, atol, shape):
    args = ACTIVATION_ARGS.get(act, ())
    cpuFwd, cpuBwd = _cpu.activationKernels[act]
    fwd, bwd = kernels.activationKernels[act]
    x = _host(shape, dtype)
    g = _host(shape, dtype)
    ref = _refDtype(dtype)

    yRef = np.empty(shape, ref)
    cpuFwd(x.astype(ref), yRef, args)
    y = gpuarray.empty(shape, dtype)
    fwd(gpuarray.to_gpu(x), y, args)
    _close(y.get(), yRef, rtol, atol)

    # the derivative from the device's own output, as Activation does
    yHost = y.get()
    dRef = np.empty(shape, ref)
    cpuBwd(g.astype(ref), yHost.astype(ref), dRef, args)
    d = gpuarray.empty(shape, dtype)
    bwd(gpuarray.to_gpu(g), y, d, args)
    _close(d.get(), dRef, rtol, atol)


@pytest.mark.parametrize("act", sorted(_cpu.activationKernels))
def test_activation_in_place_and_on_a_strided_view(act):
    args = ACTIVATION_ARGS.get(act, ())
    cpuFwd, cpuBwd = _cpu.activationKernels[act]
    fwd, bwd = kernels.activationKernels[act]
    x = _host((6, 8), np.float32)
    g = _host((6, 8), np.float32)
    yRef = np.empty_like(x)
    cpuFwd(x, yRef, args)
    dRef = np.empty_like(x)
    cpuBwd(g, yRef, dRef, args)

    xd = gpuarray.to_gpu(x)
    fwd(xd, xd, args)  # out aliases x
    _close(xd.get(), yRef, 1e-5, 1e-6)
    gd = gpuarray.to_gpu(g)
    bwd(gd, xd, gd, args)  # out aliases grad
    _close(gd.get(), dRef, 1e-5, 1e-6)

    xd = gpuarray.to_gpu(x)
    fwd(xd[:, 1:5], xd[:, 1:5], args)  # a non-contiguous slice, as Activation(slc=...) passes
    expected = x.copy()
    expected[:, 1:5] = yRef[:, 1:5]
    _close(xd.get(), expected, 1e-5, 1e-6)


# ---- gradients, costs, optimizers ------------------------------------------------------------------

@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
@pytest.mark.parametrize("scale,momentum", [(1.0, 0.0), (0.5, 0.0), (1.0, 1.0), (0.5, 0.9), (2.0, 1.0)])
def test_accumulate(dtype, rtol, atol, scale, momentum):
    dst = _host((5, 4), dtype)
    src = _host((5, 4), dtype)
    ref = _refDtype(dtype)
    expected = dst.astype(ref)
    _cpu.accumulate(expected, src.astype(ref), scale, momentum)
    dDst = gpuarray.to_gpu(dst)
    kernels.accumulate(dDst, gpuarray.to_gpu(src), scale, momentum)
    _close(dDst.get(), expected, rtol, atol)


def test_accumulate_with_momentum_zero_ignores_old_values():
    dst = gpuarray.to_gpu(np.full((3,), np.nan, np.float32))
    kernels.accumulate(dst, gpuarray.to_gpu(np.ones(3, np.float32)), 0.5, 0.0)
    np.testing.assert_array_equal(dst.get(), np.full(3, 0.5, np.float32))


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (10, 3), (64, 33)])
def test_mse_grad_and_error(dtype, rtol, atol, shape):
    pred = _host(shape, dtype)
    target = _host(shape, dtype)
    ref = _refDtype(dtype)
    gRef = np.empty(shape, ref)
    errRef = _cpu.mseGradError(pred.astype(ref), target.astype(ref), gRef)

    grad = gpuarray.empty(shape, dtype)
    err = kernels.mseGradError(gpuarray.to_gpu(pred), gpuarray.to_gpu(target), grad)
    assert gpuarray.isDeviceArray(err) and err.shape == ()  # stays on the device: no sync per step
    _close(grad.get(), gRef, rtol, atol)
    # a parallel reduction sums in another order than numpy's dot
    _close(kernels.toScalar(err), float(errRef), max(rtol, 1e-4), atol)
    err2 = kernels.mseError(gpuarray.to_gpu(pred), gpuarray.to_gpu(target))
    _close(kernels.toScalar(err2), float(errRef), max(rtol, 1e-4), atol)
    if dtype == np.float16:
        assert err.dtype == np.float32  # reduced and returned in float32


def test_mse_error_of_a_large_float16_batch_is_accumulated_in_float32():
    n = 1 << 16
    pred = np.zeros((n, 1), np.float16)
    target = np.ones((n, 1), np.float16)
    err = kernels.mseError(gpuarray.to_gpu(pred), gpuarray.to_gpu(target))
    assert kernels.toScalar(err) == 0.5


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
@pytest.mark.parametrize("lr", [1.0, 0.01])
def test_sgd_and_momentum_updates(dtype, rtol, atol, lr):
    param = _host((17,), dtype)
    grad = _host((17,), dtype)
    mom = _host((17,), dtype)
    ref = _refDtype(dtype)

    pRef = param.astype(ref)
    _cpu.sgdUpdate(pRef, grad.astype(ref), lr)
    p = gpuarray.to_gpu(param)
    kernels.sgdUpdate(p, gpuarray.to_gpu(grad), lr)
    _close(p.get(), pRef, rtol, atol)

    pRef, mRef = param.astype(ref), mom.astype(ref)
    _cpu.momentumUpdate(pRef, grad.astype(ref), mRef, lr, 0.9, np.empty_like(pRef))
    p, m = gpuarray.to_gpu(param), gpuarray.to_gpu(mom)
    kernels.momentumUpdate(p, gpuarray.to_gpu(grad), m, lr, 0.9, gpuarray.empty((17,), dtype))
    _close(m.get(), mRef, rtol, atol)
    _close(p.get(), pRef, rtol, atol)


@pytest.mark.parametrize("fname", sorted(RULES))
@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
def test_fused_optimizer_rules(fname, dtype, rtol, atol):
    """Adam, RMSProp, ... as one launch each: parameter and state against the numpy rule."""
    param, grad, states = draw(fname, (5, 9), dtype)
    pRef, sRef = reference(_cpu, fname, param, grad, states, _refDtype(dtype))
    p, st = gpuarray.to_gpu(param), [gpuarray.to_gpu(x) for x in states]
    temp = (None,) if RULES[fname][3] else ()
    getattr(kernels, fname)(p, gpuarray.to_gpu(grad), *st, *RULES[fname][2], None, *temp)
    for actual, expected in zip([p] + st, [pRef] + sRef):
        _close(actual.get(), expected, rtol, atol)


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES[:2])
def test_scatter_add(dtype, rtol, atol):
    dst = _host((6, 3), dtype)
    indices = np.array([0, 2, 2, 5, 0, 0])
    values = _host((6, 3), dtype)
    expected = dst.copy()
    _cpu.scatterAdd(expected, indices, values)
    d = gpuarray.to_gpu(dst)
    kernels.scatterAdd(d, gpuarray.to_gpu(indices), gpuarray.to_gpu(values))
    _close(d.get(), expected, rtol, atol)


@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 3)])
@pytest.mark.parametrize("weights", [None, [0.5, 1.0, 2.0, 0.25]])
@pytest.mark.parametrize("labelType", [np.int32, np.int64])
def test_cross_entropy_grad_error(shape, weights, labelType):
    scores = np.random.randn(*shape).astype(np.float32)
    labels = np.random.randint(0, shape[1], size=shape[:1] + shape[2:]).astype(labelType)
    w = None if weights is None else np.array(weights, np.float32)
    gRef = np.empty(shape, np.float32)
    errRef = _cpu.crossEntropyGradError(scores, labels, gRef, w)
    grad = gpuarray.empty(shape, np.float32)
    err = kernels.crossEntropyGradError(gpuarray.to_gpu(scores), gpuarray.to_gpu(labels), grad,
                                        None if w is None else gpuarray.to_gpu(w))
    # a 0-d device array: the step does not wait for the device
    assert gpuarray.isDeviceArray(err) and err.shape == () and float(err) == pytest.approx(errRef, rel=1e-5)
    np.testing.assert_allclose(grad.get(), gRef, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sum_of_squares_in_float64(dtype):
    # 300 ** 2 * 4096 overflows float16 and loses digits in float32; a float64 sum keeps them
    x = np.full((64, 64), 300, dtype)
    x[0, 0] = 1
    s = kernels.sumOfSquares(gpuarray.to_gpu(x))
    assert gpuarray.isDeviceArray(s) and s.dtype == np.float64 and s.shape == ()
    assert float(s) == 300.0 ** 2 * 4095 + 1


# ---- float16 compute mode --------------------------------------------------------------------------

def test_float16_matmul_accumulates_in_float32():
    # 8192 products of ones: a float16 accumulator sticks at 2048 (2048 + 1 rounds back to 2048)
    a = gpuarray.to_gpu(np.ones((2, 8192), np.float16))
    b = gpuarray.to_gpu(np.ones((8192, 3), np.float16))
    out = gpuarray.empty((2, 3), np.float16)
    gpuarray.xp.matmul(a, b, out=out)
    np.testing.assert_array_equal(out.get(), np.full((2, 3), 8192, np.float16))


def test_linear_in_float16_matches_float32():
    from PuzzleLib.Modules import Linear
    np.random.seed(7)
    lin = Linear(64, 32, initscheme="gaussian", wscale=0.1)
    x = np.random.randn(16, 64).astype(np.float32)
    ref = lin(gpuarray.to_gpu(x)).get()
    g = np.random.randn(16, 32).astype(np.float32)
    lin.backward(gpuarray.to_gpu(g))
    gradRef = lin.grad.get()
    dWRef = lin.vars["W"].grad.get()

    lin.calcMode(np.float16)
    assert lin.vars["W"].data.dtype == np.float16
    out = lin(gpuarray.to_gpu(x.astype(np.float16)))
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.get().astype(np.float32), ref, rtol=2e-2, atol=2e-2)
    lin.backward(gpuarray.to_gpu(g.astype(np.float16)))
    np.testing.assert_allclose(lin.grad.get().astype(np.float32), gradRef, rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(lin.vars["W"].grad.get().astype(np.float32), dWRef, rtol=2e-2, atol=5e-2)


# ---- a whole training run against numpy ------------------------------------------------------------

def test_tutorial_net_trains_like_numpy():
    """Linear-relu-Linear, MSE, MomentumSGD through Trainer: the same numbers as a numpy loop."""
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Cost import MSE
    from PuzzleLib.Handlers import Trainer
    from PuzzleLib.Modules import Activation, Linear
    from PuzzleLib.Modules.Activation import relu
    from PuzzleLib.Optimizers import MomentumSGD

    np.random.seed(1234)
    net = Sequential()
    net.append(Linear(1, 16, initscheme="gaussian"))
    net.append(Activation(relu))
    net.append(Linear(16, 1, initscheme="gaussian"))
    params = [net[0].vars["W"].data.get().astype(np.float64), net[0].vars["b"].data.get().astype(np.float64),
              net[2].vars["W"].data.get().astype(np.float64), net[2].vars["b"].data.get().astype(np.float64)]

    X = np.linspace(-3, 3, 40, dtype=np.float32).reshape(-1, 1)
    Y = (2 * np.sin(X) + 5).astype(np.float32)
    lr, momRate, bs = 1e-2, 0.9, 10
    cost = MSE()
    trainer = Trainer(net, cost, MomentumSGD(lr, momRate), batchsize=bs)
    trainer.train(gpuarray.to_gpu(X), gpuarray.to_gpu(Y), random=False)

    W1, b1, W2, b2 = params
    moms = [np.zeros_like(p) for p in params]
    errs = []
    for start in range(0, len(X), bs):
        x, y = X[start:start + bs].astype(np.float64), Y[start:start + bs].astype(np.float64)
        h = np.maximum(x @ W1 + b1, 0)
        pred = h @ W2 + b2
        g = (y - pred) / pred.size
        errs.append(0.5 * np.mean((y - pred) ** 2))
        gh = (g @ W2.T) * (h > 0)
        grads = [x.T @ gh, gh.sum(0), h.T @ g, g.sum(0)]
        for p, m, gr in zip(params, moms, grads):
            m *= momRate
            m += lr * gr
            p += m
    np.testing.assert_allclose(cost.getMeanError(), np.mean(errs), rtol=1e-4)
    for var, p in zip([net[0].vars["W"], net[0].vars["b"], net[2].vars["W"], net[2].vars["b"]], params):
        np.testing.assert_allclose(var.data.get(), p, rtol=1e-4, atol=1e-5)
