import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Linear, ModuleError
from tests.gradcheck import checkModule


@pytest.mark.parametrize("insize,outsize,batch", [(1, 1, 1), (3, 5, 4), (7, 2, 6)])
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
