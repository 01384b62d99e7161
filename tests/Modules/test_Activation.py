import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Activation, ModuleError
from PuzzleLib.Modules.Activation import clip, elu, leakyRelu, relu, sigmoid, softPlus, tanh
from tests.gradcheck import checkModule
from tests.Modules._jitpath import compiledActive, compiledKernels, numpyKernels, thisThreadKernels  # noqa: F401 (fixtures)

ALL = [sigmoid, tanh, relu, leakyRelu, elu, softPlus, clip]


def _awayFromKinks(x, kinks, margin=0.1):
    """Push every value at least `margin` away from each kink (the derivative jumps there)."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        near = np.abs(x - k) < margin
        x[near] = k + np.where(x[near] >= k, margin, -margin)
    return x


def _inputs(activation, shape, args=()):
    x = 3.0 * np.random.randn(*shape)
    if activation == clip:
        lo, hi = args if args else (0.0, 6.0)
        x = np.random.uniform(lo - 2.0, hi + 2.0, size=shape)
        return _awayFromKinks(x, (lo, hi))
    return _awayFromKinks(x, (0.0,))


def _reference(activation, x, args=()):
    """The activations written out by hand, from their textbook formulas."""
    if activation == sigmoid:
        return 1.0 / (1.0 + np.exp(-x))
    if activation == tanh:
        return np.tanh(x)
    if activation == relu:
        return np.where(x > 0, x, 0.0)
    if activation == leakyRelu:
        a = args[0] if args else 0.01
        return np.where(x > 0, x, a * x)
    if activation == elu:
        a = args[0] if args else 1.0
        return np.where(x > 0, x, a * (np.exp(x) - 1.0))
    if activation == softPlus:
        return np.log(1.0 + np.exp(x))
    if activation == clip:
        lo, hi = args if args else (0.0, 6.0)
        return np.minimum(np.maximum(x, lo), hi)
    raise AssertionError(activation)


SHAPES = [(1, 1), (4, 3), (2, 3, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("activation", ALL)
def test_gradients(activation, shape):
    checkModule(Activation(activation), _inputs(activation, shape))


@pytest.mark.parametrize("activation", ALL)
def test_gradients_inplace(activation):
    checkModule(Activation(activation, inplace=True), _inputs(activation, (3, 4)))


@pytest.mark.parametrize("activation,args", [(leakyRelu, (0.3,)), (leakyRelu, (0.0,)), (leakyRelu, (2.0,)), (elu, (0.5,)),
                                           (elu, (2.0,)), (clip, (-1.0, 1.5))])
def test_gradients_with_args(activation, args):
    checkModule(Activation(activation, args=args), _inputs(activation, (4, 5), args))


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("activation", ALL)
def test_gradients_slice(activation, inplace):
    slc = (slice(None), slice(1, 3))
    mod = Activation(activation, slc=slc, inplace=inplace)
    analytic, _ = checkModule(mod, _inputs(activation, (3, 5)), seed=1)
    # outside the slice the gradient passes through unchanged (derivative 1)
    g = np.random.RandomState(1).standard_normal((3, 5))
    np.testing.assert_allclose(analytic["input0"][:, [0, 3, 4]], g[:, [0, 3, 4]], rtol=1e-12)


@pytest.mark.parametrize("activation", ALL)
def test_forward_matches_formula(activation):
    x = _inputs(activation, (5, 7)).astype(np.float32)
    out = Activation(activation)(to_gpu(x)).get()
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out, _reference(activation, x.astype(np.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation", ALL)
def test_slice_forward_leaves_the_rest(activation):
    x = _inputs(activation, (4, 6)).astype(np.float32)
    out = Activation(activation, slc=(slice(None), slice(2, 5)))(to_gpu(x)).get()
    np.testing.assert_array_equal(out[:, :2], x[:, :2])
    np.testing.assert_array_equal(out[:, 5:], x[:, 5:])
    np.testing.assert_allclose(out[:, 2:5], _reference(activation, x[:, 2:5].astype(np.float64)), rtol=1e-5,
                               atol=1e-6)


def test_default_args():
    assert Activation(leakyRelu).actArgs == (0.01,)
    assert Activation(elu).actArgs == (1.0,)
    assert Activation(clip).actArgs == (0.0, 6.0)
    x = to_gpu(np.array([[-10.0, -1.0, 3.0, 7.0]], np.float32))
    np.testing.assert_allclose(Activation(leakyRelu)(x).get(), [[-0.1, -0.01, 3.0, 7.0]], rtol=1e-6)
    np.testing.assert_allclose(Activation(elu)(x).get(), [[np.expm1(-10.0), np.expm1(-1.0), 3.0, 7.0]], rtol=1e-6)
    np.testing.assert_allclose(Activation(clip)(x).get(), [[0.0, 0.0, 3.0, 6.0]])


def test_explicit_args_change_the_result():
    x = to_gpu(np.array([[-2.0, 0.5, 3.0]], np.float32))
    np.testing.assert_allclose(Activation(leakyRelu, args=(0.5,))(x).get(), [[-1.0, 0.5, 3.0]])
    np.testing.assert_allclose(Activation(elu, args=(2.0,))(x).get(), [[2.0 * np.expm1(-2.0), 0.5, 3.0]], rtol=1e-6)
    np.testing.assert_allclose(Activation(clip, args=(-1.0, 1.0))(x).get(), [[-1.0, 0.5, 1.0]])


def test_names_as_strings():
    x = to_gpu(np.array([[-1.0, 2.0]], np.float32))
    np.testing.assert_array_equal(Activation("relu")(x).get(), [[0.0, 2.0]])
    np.testing.assert_array_equal(Activation(activation=relu)(x).get(), [[0.0, 2.0]])


@pytest.mark.parametrize("activation", ALL)
def test_inplace_overwrites_input_and_grad(activation):
    xh = _inputs(activation, (3, 4)).astype(np.float32)
    x = to_gpu(xh)
    mod = Activation(activation, inplace=True)
    out = mod(x)
    assert gpuarray.xp.may_share_memory(out, x)
    np.testing.assert_allclose(x.get(), _reference(activation, xh.astype(np.float64)), rtol=1e-5, atol=1e-6)
    g = to_gpu(np.ones((3, 4), np.float32))
    gin = mod.backward(g)
    assert gpuarray.xp.may_share_memory(gin, g)


@pytest.mark.parametrize("activation", ALL)
def test_not_inplace_leaves_input(activation):
    xh = _inputs(activation, (3, 4)).astype(np.float32)
    x = to_gpu(xh)
    mod = Activation(activation)
    out = mod(x)
    assert not gpuarray.xp.may_share_memory(out, x)
    np.testing.assert_array_equal(x.get(), xh)
    g = to_gpu(np.ones((3, 4), np.float32))
    mod.backward(g)
    np.testing.assert_array_equal(g.get(), np.ones((3, 4), np.float32))


def test_backward_values_from_output():
    # derivative of each activation at a few points, by hand
    x = np.array([[-2.0, -0.5, 0.5, 2.0, 7.0]], np.float32)
    g = to_gpu(np.full(x.shape, 2.0, np.float32))
    cases = {
        relu: [0, 0, 1, 1, 1],
        leakyRelu: [0.01, 0.01, 1, 1, 1],
        clip: [0, 0, 1, 1, 0],
        tanh: 1 - np.tanh(x[0]) ** 2,
        sigmoid: (1 / (1 + np.exp(-x[0]))) * (1 - 1 / (1 + np.exp(-x[0]))),
        elu: np.where(x[0] > 0, 1.0, np.exp(x[0])),
        softPlus: 1 / (1 + np.exp(-x[0])),
    }
    for activation, deriv in cases.items():
        mod = Activation(activation)
        mod(to_gpu(x))
        np.testing.assert_allclose(mod.backward(g).get()[0], 2.0 * np.asarray(deriv), rtol=1e-5, atol=1e-6,
                                   err_msg=activation)


def test_unknown_activation_names_module_and_value():
    with pytest.raises(ModuleError, match=r"Activation 'act'.*unknown activation 'swish'.*relu"):
        Activation("swish", name="act")
    with pytest.raises(ModuleError, match=r"Activation.*unknown activation 42"):
        Activation(42)


def test_bad_args_are_refused():
    with pytest.raises(ModuleError, match=r"Activation.*leakyRelu.*1 numeric argument.*\(0.1, 0.2\)"):
        Activation(leakyRelu, args=(0.1, 0.2))
    with pytest.raises(ModuleError, match=r"Activation.*clip.*low < high.*\(3.0, 1.0\)"):
        Activation(clip, args=(3.0, 1.0))
    with pytest.raises(ModuleError, match=r"Activation.*elu"):
        Activation(elu, args=("a",))
    # derivatives come from the output, whose sign a negative slope / alpha makes ambiguous
    with pytest.raises(ModuleError, match=r"Activation.*leakyRelu.*non-negative slope.*-0.5"):
        Activation(leakyRelu, args=(-0.5,))
    with pytest.raises(ModuleError, match=r"Activation.*elu.*non-negative alpha.*-1"):
        Activation(elu, args=(-1.0,))
    with pytest.raises(ModuleError, match=r"Activation 'a'.*slc.*5"):
        Activation(relu, slc=5, name="a")


def test_bad_dtype_names_module():
    mod = Activation(relu, name="act")
    with pytest.raises(ModuleError, match=r"Activation 'act'.*float32.*float64"):
        mod(to_gpu(np.zeros((2, 3), np.float64)))
    with pytest.raises(ModuleError, match=r"Activation 'act'.*device array.*list"):
        mod([[1.0, 2.0]])


def test_bad_gradient_shape_names_module():
    mod = Activation(tanh, name="act")
    mod(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Activation 'act'.*\(2, 3\).*\(3, 2\)"):
        mod.backward(to_gpu(np.zeros((3, 2), np.float32)))


def test_shapes_and_str():
    mod = Activation(leakyRelu, name="act")
    assert mod.dataShapeFrom((3, 4, 5)) == (3, 4, 5)
    assert mod.gradShapeFrom((3, 4, 5)) == (3, 4, 5)
    assert mod.vars == {}
    text = str(mod)
    assert "Activation" in text and "act" in text and "leakyRelu" in text


def test_args_must_be_a_tuple():
    with pytest.raises(ModuleError, match=r"Activation.*args must be a tuple of numbers, got 0.1"):
        Activation("leakyRelu", args=0.1)


def test_bad_slc_and_list_input_are_module_errors():
    # an integer inside slc made the kernels write into a copy (or fail with numpy's TypeError), an
    # slc with more axes than the data was numpy's IndexError, and a list of arrays an AttributeError
    with pytest.raises(ModuleError, match=r"Activation 'a'.*slc.*tuple of slices.*\(0, 1\)"):
        Activation(relu, slc=(0, 1), name="a")
    mod = Activation(relu, slc=(slice(None), slice(None), slice(0, 1)), name="a")
    with pytest.raises(ModuleError, match=r"Activation 'a'.*slc.*3 axes.*2-d.*\(2, 3\)"):
        mod(to_gpu(np.zeros((2, 3), np.float32)))
    x = to_gpu(np.zeros((2, 3), np.float32))
    with pytest.raises(ModuleError, match=r"Activation 'act'.*one device array.*list of 2"):
        Activation(relu, name="act")([x, x])


def _reluPass(x, grad, inplace):
    mod = Activation(relu, inplace=inplace)
    out = mod(to_gpu(x)).get()
    return out, mod.backward(to_gpu(grad)).get()


@pytest.mark.parametrize("inplace", [False, True])
def test_relu_compiled_backward_gives_the_numpy_paths_numbers(inplace, request):
    x = np.random.randn(6, 40).astype(np.float32)
    x[0, :3] = [np.nan, 0.0, -0.0]
    grad = np.random.randn(*x.shape).astype(np.float32)
    grad[1, :2] = [np.inf, np.nan]
    request.getfixturevalue("numpyKernels")
    with np.errstate(invalid="ignore"):
        ref = _reluPass(x, grad, inplace)
        for path in ("compiledKernels", "thisThreadKernels"):
            request.getfixturevalue(path)
            got = _reluPass(x, grad, inplace)
            np.testing.assert_array_equal(got[0].view(np.uint32), ref[0].view(np.uint32))  # -0 and NaN bits too
            np.testing.assert_array_equal(got[1], ref[1])


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("shape,path", [((100, 100), "numpy"), ((32, 32, 4, 4), "thisThread"),
                                        ((64, 511), "thisThread"), ((512, 512), "thisThread"),
                                        ((256, 4096), "split")])
def test_relu_backward_at_the_default_sizes_gives_the_numpy_paths_numbers(shape, path, inplace, request, monkeypatch):
    # arrays from _jit.SMALL_SIZE elements take the kernels (the forward pass's from
    # _jit.RELU_FORWARD_SIZE), on the calling thread up to twice _jit.SPLIT_SIZE; the tutorial's
    # (100, 100) keeps numpy
    from PuzzleLib.Backend import _jit
    x = np.random.randn(*shape).astype(np.float32)
    x.reshape(-1)[:3] = [np.nan, 0.0, -0.0]
    grad = np.random.randn(*shape).astype(np.float32)
    grad.reshape(-1)[3:5] = [np.inf, np.nan]
    calls = []
    runFlat = _jit.runFlat
    monkeypatch.setattr(_jit, "runFlat", lambda *args: calls.append("split") or runFlat(*args))
    kernel = _jit.kernel
    monkeypatch.setattr(_jit, "kernel", lambda name: calls.append(name) or kernel(name))
    with np.errstate(invalid="ignore"):
        got = _reluPass(x, grad, inplace)
        compiled = compiledActive() and path != "numpy"
        assert ("reluBackward" in calls) == compiled
        assert ("reluForward" in calls) == (compiled and x.size >= _jit.RELU_FORWARD_SIZE)
        assert ("split" in calls) == (compiled and path == "split")
        request.getfixturevalue("numpyKernels")
        ref = _reluPass(x, grad, inplace)
    np.testing.assert_array_equal(got[0].view(np.uint32), ref[0].view(np.uint32))  # -0 and NaN bits too
    np.testing.assert_array_equal(got[1], ref[1])


@pytest.mark.parametrize("path", ["compiledKernels", "thisThreadKernels"])
def test_relu_compiled_backward_gradients(path, request):
    request.getfixturevalue(path)
    checkModule(Activation(relu), np.random.randn(3, 5))


def test_relu_forward_split_over_threads_gives_the_same_numbers(monkeypatch):
    from PuzzleLib.Backend import _jit
    x = np.random.randn(8, 9000).astype(np.float32)
    monkeypatch.setattr(_jit, "THREADS", 1)
    ref = Activation(relu)(to_gpu(x)).get()
    monkeypatch.setattr(_jit, "THREADS", 3)
    monkeypatch.setattr(_jit, "MIN_SIZE", 0)
    monkeypatch.setattr(_jit, "SPLIT_SIZE", 0)
    mod = Activation(relu, inplace=True)
    got = mod(to_gpu(x)).get()
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(got, np.maximum(x, 0))


def test_relu_keeps_nan_and_gives_nan_gradients_on_every_backend():
    # the cuda backend's kernels run in `python -m tests.Backend.cudaemu` (they turned NaN into 0)
    x = np.array([[np.nan, 0.0, -0.0, 1.0, -1.0, np.inf, -np.inf]], dtype=np.float32)
    grad = np.array([[1.0, np.nan, 2.0, 3.0, 4.0, 5.0, np.inf]], dtype=np.float32)
    mod = Activation(relu)
    y = mod(to_gpu(x)).get()
    np.testing.assert_array_equal(y, [[np.nan, 0.0, 0.0, 1.0, 0.0, np.inf, 0.0]])
    with np.errstate(invalid="ignore"):
        dx = mod.backward(to_gpu(grad)).get()
    np.testing.assert_array_equal(dx, [[np.nan, np.nan, 0.0, 3.0, 0.0, 5.0, np.nan]])
