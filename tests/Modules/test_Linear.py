import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Linear, ModuleError
from tests.gradcheck import checkModule


@pytest.mark.parametrize("insize,outsize,batch", [(1, 1, 1), (3, 5, 4), (7, 2, 6), (1, 4, 3), (4, 1, 3)])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("useBias", [False, True])
def test_gradients(insize, outsize, batch, transpose, useBias):
    mod = Linear(insize, outsize, transpose=transpose, useBias=useBias, initscheme="gaussian")
    analytic, _ = checkModule(mod, np.random.randn(batch, insize))
    assert set(analytic) == {"input0", "W"} | ({"b"} if useBias else set())


def test_forward_matches_numpy():
    mod = Linear(3, 4, initscheme="gaussian")
    mod.vars["b"].data.set(np.arange(4, dtype=np.float32))
    x = np.random.randn(5, 3).astype(np.float32)
    out = mod(to_gpu(x)).get()
    np.testing.assert_allclose(out, x @ mod.vars["W"].data.get() + np.arange(4), rtol=1e-5)


def test_bad_input_names_module_and_leaves_params():
    mod = Linear(3, 4, name="fc")
    before = mod.vars["W"].data.get()
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*float32.*float64"):
        mod(to_gpu(np.zeros((2, 3), np.float64)))
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*2-d.*\(2, 3, 1\)"):
        mod(to_gpu(np.zeros((2, 3, 1), np.float32)))
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*\(N, 3\).*\(2, 5\)"):
        mod(to_gpu(np.zeros((2, 5), np.float32)))
    np.testing.assert_array_equal(mod.vars["W"].data.get(), before)


def test_unknown_initscheme():
    with pytest.raises(ModuleError, match=r"Linear.*unknown initscheme 'bogus'"):
        Linear(2, 2, initscheme="bogus")


# ---- initialisation: the documented draws from numpy's global generator ----

@pytest.mark.parametrize("initscheme,draw", [
    (None, lambda i, o, w: np.random.uniform(-w * np.sqrt(3.0 / i), w * np.sqrt(3.0 / i), size=(i, o))),
    ("xavier_uniform", lambda i, o, w: np.random.uniform(-w * np.sqrt(3.0 / i), w * np.sqrt(3.0 / i), size=(i, o))),
    ("xavier", lambda i, o, w: np.random.normal(0.0, w * np.sqrt(1.0 / i), size=(i, o))),
    ("xavier_normal", lambda i, o, w: np.random.normal(0.0, w * np.sqrt(1.0 / i), size=(i, o))),
    ("he", lambda i, o, w: np.random.normal(0.0, w * np.sqrt(2.0 / i), size=(i, o))),
    ("gaussian", lambda i, o, w: np.random.normal(0.0, w, size=(i, o))),
    ("uniform", lambda i, o, w: np.random.uniform(-w, w, size=(i, o))),
    (("he", "out"), lambda i, o, w: np.random.normal(0.0, w * np.sqrt(2.0 / o), size=(i, o))),
    (("xavier", "avg"), lambda i, o, w: np.random.normal(0.0, w * np.sqrt(1.0 / ((i + o) / 2.0)), size=(i, o))),
])
@pytest.mark.parametrize("wscale", [1.0, 0.5])
def test_initscheme_draws(initscheme, draw, wscale):
    np.random.seed(42)
    expected = draw(3, 5, wscale).astype(np.float32)
    np.random.seed(42)
    mod = Linear(3, 5, wscale=wscale, initscheme=initscheme)
    np.testing.assert_allclose(mod.vars["W"].data.get(), expected, rtol=1e-6)
    np.testing.assert_array_equal(mod.vars["b"].data.get(), np.zeros(5, np.float32))


def test_draw_order_first_layer_first_and_transposed_shape():
    np.random.seed(7)
    first = np.random.normal(0.0, 1.0, size=(2, 4)).astype(np.float32)
    second = np.random.normal(0.0, 1.0, size=(1, 4)).astype(np.float32)  # transposed: (outsize, insize)
    np.random.seed(7)
    a = Linear(2, 4, initscheme="gaussian")
    b = Linear(4, 1, initscheme="gaussian", transpose=True)
    np.testing.assert_array_equal(a.vars["W"].data.get(), first)
    np.testing.assert_array_equal(b.vars["W"].data.get(), second)
    x = np.random.randn(3, 4).astype(np.float32)
    np.testing.assert_allclose(b(to_gpu(x)).get(), x @ second.T, rtol=1e-5)


def test_no_bias_and_empty():
    mod = Linear(3, 2, useBias=False)
    assert set(mod.vars) == {"W"}
    state = np.random.get_state()[1].copy()
    mod = Linear(3, 2, empty=True)
    assert mod.vars["W"].data.shape == (3, 2)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # nothing drawn
    mod = Linear(3, 2, initscheme="none")
    assert mod.vars["W"].data.shape == (3, 2)


def test_bad_constructor_arguments():
    for kwargs, pattern in [({"insize": 0, "outsize": 2}, r"Linear.*insize.*positive.*0"),
                            ({"insize": 2, "outsize": 2.5}, r"Linear.*outsize.*2.5"),
                            ({"insize": 2, "outsize": 2, "wscale": "x"}, r"Linear.*wscale.*'x'"),
                            ({"insize": 2, "outsize": 2, "initscheme": ("he", "sideways")}, r"Linear.*fan.*'sideways'"),
                            ({"insize": 2, "outsize": 2, "initscheme": ("he",)}, r"Linear.*initscheme.*\('he',\)"),
                            # numpy's own "Range exceeds valid bounds" named nothing
                            ({"insize": 2, "outsize": 2, "wscale": float("nan")}, r"Linear.*wscale.*finite.*nan"),
                            ({"insize": 2, "outsize": 2, "wscale": float("inf"), "initscheme": "he"},
                             r"Linear.*wscale.*finite.*inf")]:
        with pytest.raises(ModuleError, match=pattern):
            Linear(**kwargs)
