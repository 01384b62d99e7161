"""The CUDA backend's kernel bodies compute what the numpy backend computes, checked on the CPU.

Each fused kernel of ``_cuda.py`` is a C++ snippet. This test reads the snippets out of the
source with ``ast`` (no CuPy needed), wraps each in a host loop shaped like the one CuPy
generates (inputs bound as ``const T &``, outputs as ``T &``, so in-place aliasing behaves as on
the device), compiles them with the system C++ compiler for float32, float64 and float16
(``_Float16``), and compares them with ``_cpu.py`` on random data, in place too. What it cannot
see (launch, CuPy's own code) is left to test_cuda.py on a GPU. Skips without g++. The machinery,
and a stand-in CuPy that runs the whole suite on the cuda backend, is in cudaemu.py.
"""
import ctypes
import re

import numpy as np
import pytest

from PuzzleLib.Backend import _cpu

from tests.Backend import cudaemu
from tests.Backend._optrules import RULES, draw, reference
from tests.Backend.cudaemu import CTYPES, call as _call, params as _params

pytestmark = pytest.mark.skipif(cudaemu.CXX is None, reason="no C++ compiler (g++) to build the host emulation")

DTYPES = [(np.float32, 1e-6, 1e-6), (np.float64, 1e-13, 1e-13), (np.float16, 2e-3, 2e-3)]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    return cudaemu.buildHostKernels(str(tmp_path_factory.mktemp("cudahost")))


def _ref(dtype):
    return np.float32 if dtype == np.float16 else dtype


def _rand(shape, dtype):
    return np.random.uniform(-3, 3, size=shape).astype(dtype)


ACTS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "leaky_relu": "leakyRelu", "elu": "elu",
        "softplus": "softPlus", "clip": "clip"}
ARGS = {"leakyRelu": (0.1,), "elu": (1.3,), "clip": (-0.5, 1.5)}
OTHER = {"scale", "axpby", "diff_scaled", "sgd", "momentum", "ce_grad", "ce_grad_w", "erf"}
OTHER |= {kname for kname, _, _, _ in RULES.values()}  # the fused optimizer rules


def test_every_kernel_has_a_reference_here(lib):
    _, specs = lib
    expected = {"%s_%s" % (k, d) for k in ACTS for d in ("fwd", "bwd")} | OTHER
    assert set(specs) == expected, "add a host check for: %s" % sorted(set(specs) ^ expected)


@pytest.mark.parametrize("kname", sorted(ACTS))
@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
@pytest.mark.parametrize("inplace", [False, True])
def test_activation(lib, kname, dtype, rtol, atol, inplace):
    lib, _ = lib
    act = ACTS[kname]
    args = ARGS.get(act, ())
    cpuFwd, cpuBwd = _cpu.activationKernels[act]
    x, g = _rand((7, 9), dtype), _rand((7, 9), dtype)
    yRef = np.empty(x.shape, _ref(dtype))
    cpuFwd(x.astype(_ref(dtype)), yRef, args)
    y = x.copy() if inplace else np.empty_like(x)
    _call(lib, kname + "_fwd", dtype, y if inplace else x, *args, y)
    np.testing.assert_allclose(y.astype(np.float64), yRef, rtol=rtol, atol=atol)

    dRef = np.empty(x.shape, _ref(dtype))
    cpuBwd(g.astype(_ref(dtype)), y.astype(_ref(dtype)), dRef, args)
    d = g.copy() if inplace else np.empty_like(g)
    _call(lib, kname + "_bwd", dtype, d if inplace else g, y, *args, d)
    np.testing.assert_allclose(d.astype(np.float64), dRef, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
def test_accumulate_bias_and_cost(lib, dtype, rtol, atol):
    lib, _ = lib
    ref = _ref(dtype)
    dst, src = _rand((5, 4), dtype), _rand((5, 4), dtype)
    for kname, scale, momentum in (("scale", 0.5, 0.0), ("axpby", 0.5, 0.9), ("axpby", 2.0, 1.0)):
        expected = dst.astype(ref)
        _cpu.accumulate(expected, src.astype(ref), scale, momentum)
        out = dst.copy()
        _call(lib, kname, dtype, src, scale, *((momentum,) if kname == "axpby" else ()), out)
        np.testing.assert_allclose(out.astype(np.float64), expected, rtol=rtol, atol=atol)

    pred, target = _rand((6, 3), dtype), _rand((6, 3), dtype)
    gRef = np.empty(pred.shape, ref)
    errRef = _cpu.mseGradError(pred.astype(ref), target.astype(ref), gRef)
    grad = np.empty_like(pred)
    _call(lib, "diff_scaled", dtype, pred, target, 1.0 / pred.size, grad)
    np.testing.assert_allclose(grad.astype(np.float64), gRef, rtol=rtol, atol=atol)
    err = np.zeros((), np.float64 if dtype == np.float64 else np.float32)
    fn = getattr(lib, "sum_sq_diff_%s" % CTYPES[np.dtype(dtype).name].strip("_"))
    fn(ctypes.c_long(pred.size), ctypes.c_void_p(pred.ctypes.data), ctypes.c_void_p(target.ctypes.data),
       ctypes.c_double(0.5 / pred.size), ctypes.c_void_p(err.ctypes.data))
    np.testing.assert_allclose(float(err), float(errRef), rtol=max(rtol, 1e-5))


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
def test_optimizer_updates(lib, dtype, rtol, atol):
    lib, _ = lib
    ref = _ref(dtype)
    param, grad, mom = _rand((13,), dtype), _rand((13,), dtype), _rand((13,), dtype)
    pRef = param.astype(ref)
    _cpu.sgdUpdate(pRef, grad.astype(ref), 0.01)
    p = param.copy()
    _call(lib, "sgd", dtype, grad, 0.01, p)
    np.testing.assert_allclose(p.astype(np.float64), pRef, rtol=rtol, atol=atol)

    pRef, mRef = param.astype(ref), mom.astype(ref)
    _cpu.momentumUpdate(pRef, grad.astype(ref), mRef, 0.01, 0.9, np.empty_like(pRef))
    p, m = param.copy(), mom.copy()
    _call(lib, "momentum", dtype, grad, 0.01, 0.9, p, m)
    np.testing.assert_allclose(m.astype(np.float64), mRef, rtol=rtol, atol=atol)
    np.testing.assert_allclose(p.astype(np.float64), pRef, rtol=rtol, atol=atol)


@pytest.mark.parametrize("fname", sorted(RULES))
@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
def test_fused_optimizer_rules(lib, fname, dtype, rtol, atol):
    """Each fused rule (state and parameter, updated in place) against the numpy rule of _cpu.py."""
    lib, _ = lib
    kname, _, hypers, _ = RULES[fname]
    param, grad, states = draw(fname, (3, 7), dtype)
    pRef, sRef = reference(_cpu, fname, param, grad, states, _ref(dtype))
    p, st = param.copy(), [x.copy() for x in states]
    _call(lib, kname, dtype, grad, *hypers, p, *st)
    for actual, expected in zip([p] + st, [pRef] + sRef):
        np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=rtol, atol=atol)
    assert not np.array_equal(p, param)  # the step moved the parameter


def test_parameter_names_match_the_kernel_bodies(lib):
    """Every name a body uses as a parameter is declared (a typo would be a compile error on the device)."""
    _, specs = lib
    for name, (inParams, outParams, body) in specs.items():
        declared = {p[1] for p in _params(inParams) + _params(outParams)}
        assigned = set(re.findall(r"\b([a-z]\w*)\s*=[^=]", body))
        assert {p[1] for p in _params(outParams)} <= assigned | declared, name
        assert declared, name


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_grad(lib, dtype, rtol, atol, weighted):
    """The elementwise tail of crossEntropyGradError, on inputs flattened as CuPy broadcasts them."""
    lib, _ = lib
    n, c = 4, 3
    scores = _rand((n, c), np.float64)
    labels = np.random.randint(0, c, size=n).astype(np.int32)
    weights = np.array([0.5, 1.0, 2.0])
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    s = e.sum(axis=1, keepdims=True)
    hot = np.eye(c)[labels]
    wc = weights[None, :] if weighted else np.ones((1, c))  # the weight of each element's own class
    expected = wc * (hot - e / s) / n
    flat = lambda a, t: np.ascontiguousarray(np.broadcast_to(a, (n, c))).astype(t)  # noqa: E731
    g = flat(e, dtype)
    args = [g, flat(s, dtype), flat(labels[:, None], np.int32), flat(np.arange(c)[None, :], np.int32)]
    if weighted:
        args.append(flat(wc, dtype))
    _call(lib, "ce_grad_w" if weighted else "ce_grad", dtype, *args, 1.0 / n, g)
    np.testing.assert_allclose(g.astype(np.float64), expected, rtol=max(rtol, 1e-6), atol=max(atol, 1e-7))


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
def test_erf(lib, dtype, rtol, atol):
    import math

    lib, _ = lib
    x = _rand((5, 7), dtype)
    y = np.empty_like(x)
    _call(lib, "erf", dtype, x, y)
    expected = np.array([math.erf(v) for v in x.astype(np.float64).ravel()]).reshape(x.shape)
    np.testing.assert_allclose(y.astype(np.float64), expected, rtol=max(rtol, 1e-7), atol=max(atol, 1e-7))
    cpu = np.empty_like(x)
    _cpu.erf(x, cpu)
    np.testing.assert_allclose(cpu.astype(np.float64), expected, rtol=max(rtol, 1e-7), atol=max(atol, 1e-7))


# ---- the whole of _cuda.py's kernel functions, on a stand-in for CuPy ------------------------------
# A fake ``cupy`` whose ElementwiseKernel runs the host-compiled body (inputs broadcast to the
# outputs' shape, copied in and out, as CuPy's element-wise semantics give) and whose other names
# are numpy's. It checks what the direct tests above cannot: that each wrapper in _cuda.py passes
# its arguments in the order and kinds its kernel declares.

@pytest.fixture(scope="module")
def emulated(lib):
    """_cuda.py itself, imported over the stand-in CuPy of cudaemu.py."""
    import importlib.util
    import sys
    saved = {k: sys.modules.get(k) for k in ("cupy", "cupyx")}
    sys.modules["cupy"], sys.modules["cupyx"] = cudaemu.fakeCupy(lib[0])
    try:
        spec = importlib.util.spec_from_file_location("_cuda_on_fake_cupy", cudaemu.SRC)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return module


def _dev(ary):
    """A host array as a stand-in device array (CuPy's kernels refuse host arrays)."""
    return ary.view(cudaemu.DeviceArray)


def _host(ary):
    return np.array(ary, copy=True, subok=False)


@pytest.mark.parametrize("act", sorted(_cpu.activationKernels))
@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
def test_emulated_activation_wrappers(emulated, act, dtype, rtol, atol):
    args = ARGS.get(act, ())
    cpuFwd, cpuBwd = _cpu.activationKernels[act]
    fwd, bwd = emulated.activationKernels[act]
    x, g = _rand((6, 8), dtype), _rand((6, 8), dtype)
    yRef = np.empty(x.shape, _ref(dtype))
    cpuFwd(x.astype(_ref(dtype)), yRef, args)
    y = _dev(x.copy())
    fwd(y[:, 1:5], y[:, 1:5], args)  # in place, on a strided slice
    np.testing.assert_allclose(_host(y[:, 1:5]).astype(np.float64), yRef[:, 1:5], rtol=rtol, atol=atol)
    np.testing.assert_array_equal(_host(y[:, 5:]), x[:, 5:])
    y = _dev(np.empty_like(x))
    fwd(_dev(x), y, args)
    dRef = np.empty(x.shape, _ref(dtype))
    cpuBwd(g.astype(_ref(dtype)), _host(y).astype(_ref(dtype)), dRef, args)
    d = _dev(np.empty_like(g))
    bwd(_dev(g), y, d, args)
    np.testing.assert_allclose(_host(d).astype(np.float64), dRef, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
def test_emulated_gradient_cost_and_optimizer_wrappers(emulated, dtype, rtol, atol):
    ref = _ref(dtype)
    dst, src = _rand((5, 4), dtype), _rand((5, 4), dtype)
    for scale, momentum in ((1.0, 0.0), (0.5, 0.0), (0.5, 0.9), (1.0, 1.0)):
        expected = dst.astype(ref)
        _cpu.accumulate(expected, src.astype(ref), scale, momentum)
        out = _dev(dst.copy())
        emulated.accumulate(out, _dev(src.copy()), scale, momentum)
        np.testing.assert_allclose(_host(out).astype(np.float64), expected, rtol=rtol, atol=atol)

    pred, target = _rand((6, 3), dtype), _rand((6, 3), dtype)
    gRef = np.empty(pred.shape, ref)
    errRef = _cpu.mseGradError(pred.astype(ref), target.astype(ref), gRef)
    grad = _dev(np.empty_like(pred))
    err = emulated.mseGradError(_dev(pred), _dev(target), grad)
    np.testing.assert_allclose(_host(grad).astype(np.float64), gRef, rtol=rtol, atol=atol)
    assert err.shape == () and emulated.toScalar(err) == pytest.approx(float(errRef), rel=max(rtol, 1e-5))
    assert float(emulated.mseError(_dev(pred), _dev(target))) == pytest.approx(float(errRef), rel=max(rtol, 1e-5))

    param, g, mom = _rand((13,), dtype), _rand((13,), dtype), _rand((13,), dtype)
    pRef = param.astype(ref)
    _cpu.sgdUpdate(pRef, g.astype(ref), 0.01)
    p = _dev(param.copy())
    emulated.sgdUpdate(p, _dev(g), 0.01)
    np.testing.assert_allclose(_host(p).astype(np.float64), pRef, rtol=rtol, atol=atol)
    pRef, mRef = param.astype(ref), mom.astype(ref)
    _cpu.momentumUpdate(pRef, g.astype(ref), mRef, 0.01, 0.9, np.empty_like(pRef))
    p, m = _dev(param.copy()), _dev(mom.copy())
    emulated.momentumUpdate(p, _dev(g), m, 0.01, 0.9, None)
    np.testing.assert_allclose(_host(m).astype(np.float64), mRef, rtol=rtol, atol=atol)
    np.testing.assert_allclose(_host(p).astype(np.float64), pRef, rtol=rtol, atol=atol)


@pytest.mark.parametrize("fname", sorted(RULES))
@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
def test_emulated_optimizer_rule_wrappers(emulated, fname, dtype, rtol, atol):
    """_cuda.py's optimizer functions take _cpu.py's parameters (temporaries unused, may be None) and
    pass them to their kernel in its order; on a strided 2-d view of the state too."""
    param, grad, states = draw(fname, (4, 6), dtype)
    pRef, sRef = reference(_cpu, fname, param, grad, states, _ref(dtype))
    _, _, hypers, temp = RULES[fname]
    p, st = _dev(param.copy()), [_dev(x.copy()) for x in states]
    getattr(emulated, fname)(p, _dev(grad), *st, *hypers, None, *((None,) if temp else ()))
    for actual, expected in zip([p] + st, [pRef] + sRef):
        np.testing.assert_allclose(_host(actual).astype(np.float64), expected, rtol=rtol, atol=atol)
    # in place on a column slice: only that part changes
    p, st = _dev(param.copy()), [_dev(x.copy()) for x in states]
    view = (slice(None), slice(1, 4))
    getattr(emulated, fname)(p[view], _dev(grad)[view], *(x[view] for x in st), *hypers, None,
                             *((None,) if temp else ()))
    np.testing.assert_allclose(_host(p[view]).astype(np.float64), pRef[view], rtol=rtol, atol=atol)
    np.testing.assert_array_equal(_host(p[:, 4:]), param[:, 4:])
    for actual, start in zip(st, states):
        np.testing.assert_array_equal(_host(actual[:, :1]), start[:, :1])


@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 3)])
@pytest.mark.parametrize("weights", [None, [0.5, 1.0, 2.0, 0.25]])
def test_emulated_cross_entropy_and_scatter_add(emulated, shape, weights):
    scores = np.random.randn(*shape).astype(np.float32)
    labels = np.random.randint(0, shape[1], size=shape[:1] + shape[2:]).astype(np.int32)
    w = None if weights is None else np.array(weights, np.float32)
    gRef, grad = np.empty(shape, np.float32), np.empty(shape, np.float32)
    errRef = _cpu.crossEntropyGradError(scores, labels, gRef, w)
    dev = cudaemu.DeviceArray
    err = emulated.crossEntropyGradError(scores.view(dev), labels.view(dev), grad.view(dev),
                                         None if w is None else w.view(dev))
    # the error stays on the device (a 0-d array), so that a training step never waits for it
    assert isinstance(err, dev) and err.shape == () and float(err) == pytest.approx(errRef, rel=1e-5)
    np.testing.assert_allclose(grad, gRef, rtol=1e-5, atol=1e-7)

    dst, values = _rand((6, 3), np.float32), _rand((6, 3), np.float32)
    indices = np.array([0, 2, 2, 5, 0, 0])
    expected = dst.copy()
    _cpu.scatterAdd(expected, indices, values)
    emulated.scatterAdd(dst.view(dev), indices.view(dev), values.view(dev))
    np.testing.assert_allclose(dst, expected, rtol=1e-6)


def test_emulated_sum_of_squares(emulated):
    x = np.full((64, 64), 3000, np.float32)
    x[0, 0] = 1
    s = emulated.sumOfSquares(x.view(cudaemu.DeviceArray))
    assert isinstance(s, cudaemu.DeviceArray) and s.dtype == np.float64 and float(s) == 3000.0 ** 2 * 4095 + 1


def test_stand_in_counts_transfers(emulated):
    """Every read of device memory by the host is recorded: CuPy waits for the GPU at each."""
    dev = cudaemu.DeviceArray
    x = np.arange(6, dtype=np.float32).view(dev)
    with cudaemu.countTransfers() as seen:
        x * 2 + 1
        x.sum()
        x[1:3]
        assert seen == []
        float(x.sum())
        int(x.max())
        bool(x.any())
        x.get()
        x[x > 2]
    assert [s.split(" at ")[0] for s in seen] == ["float()", "int()", "bool()", "get()",
                                                   "a boolean-mask index (its result size)"]
    assert all("test_cuda_kernels_host.py" in s for s in seen)


def test_stand_in_full_refuses_a_python_scalar_as_cupy_13_2_does(lib):
    cupy, _ = cudaemu.fakeCupy(lib[0])
    with pytest.raises(TypeError, match="8391"):
        cupy.full((2, 3), 1.5)
    z = cupy.empty((2, 3), np.int64)
    z.fill(7)  # what works on every CuPy
    assert (np.asarray(z) == 7).all()


def test_stand_in_refuses_what_cupy_refuses(emulated):
    """The stand-in CuPy refuses, as CuPy does, host arrays in its kernels and in a device array's
    basic-index assignment, and ufunc arguments CuPy lacks; reductions give 0-d device arrays."""
    dev = cudaemu.DeviceArray
    x = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="host array"):
        emulated.sgdUpdate(x.view(dev), x, 0.5)  # a host gradient
    with pytest.raises(TypeError, match="host array"):
        emulated.mseError(x.view(dev), x)
    with pytest.raises(AttributeError):
        emulated.scatterAdd(x, np.array([0]), x[:1])  # a host destination
    d = x.copy().view(dev)
    with pytest.raises(ValueError, match="cannot be used for fill"):
        d[...] = x
    with pytest.raises(ValueError, match="cannot be used for fill"):
        d[0] = [1.0, 2.0, 3.0]
    d[np.array([0]).view(dev)] = x[:1]  # advanced indexing takes host values, as CuPy's does
    d[...] = x.view(dev)
    d[0, 1] = 2.0
    cupy = emulated.cupy
    with pytest.raises(TypeError, match="where"):
        cupy.multiply(d, 2.0, out=d, where=d > 1)
    with pytest.raises(TypeError, match="where"):
        cupy.sum(d, where=d > 1)
    for value in (d.sum(), cupy.sum(d), d.max(), d[0, 1], d.argmax(), cupy.dot(d[0], d[0])):
        assert isinstance(value, dev) and value.shape == ()
    with pytest.raises(ValueError, match="kind"):
        cupy.argsort(d, axis=1, kind="stable")
    ties = np.zeros(40, np.float32).view(dev)
    assert (cupy.argsort(ties).get() == np.arange(40)).all()  # stable, as CuPy's sort is
    idx = np.zeros(3, np.int32).view(dev)
    with pytest.raises(TypeError, match="Python scalar"):
        cupy.copyto(idx, 2, where=(d[0] > 1))  # CuPy 13 before cupy/cupy#8430, under NumPy 2
    cupy.copyto(idx, cupy.arange(3, dtype=np.int32)[2], where=(d[0] > 1))
    assert idx.get().tolist() == [0, 2, 0]
    # CuPy's generator is its own: np.random.seed does not reach it, cupy.random.seed does
    np.random.seed(3)
    a = cupy.random.random(4).get()
    np.random.seed(3)
    assert not np.array_equal(cupy.random.random(4).get(), a)
    cupy.random.seed(3)
    a = cupy.random.random(4).get()
    cupy.random.seed(3)
    assert np.array_equal(cupy.random.random(4).get(), a) and isinstance(a, np.ndarray)
