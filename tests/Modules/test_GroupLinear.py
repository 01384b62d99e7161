import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import GroupLinear
from tests.gradcheck import checkModule


@pytest.mark.parametrize("inmode", ["full", "one"])
@pytest.mark.parametrize("wmode", ["full", "one"])
@pytest.mark.parametrize("batchDim", [0, 1])
@pytest.mark.parametrize("transpW", [False, True])
def test_gradients(inmode, wmode, batchDim, transpW):
    mod = GroupLinear(3, 4, 2, inmode=inmode, wmode=wmode, batchDim=batchDim, transpW=transpW, initscheme="gaussian")
    mod.vars["b"].data.set(np.random.randn(*mod.vars["b"].data.shape).astype(np.float32))
    n = 2
    if inmode == "one":
        shape = (n, 4)
    else:
        shape = (n, 3, 4) if batchDim == 0 else (3, n, 4)
    analytic, _ = checkModule(mod, np.random.randn(*shape))
    assert set(analytic) == {"input0", "W", "b"}
    assert mod.gradShapeFrom(mod.data.shape) == shape


def test_matches_per_group_linear():
    mod = GroupLinear(2, 3, 4, initscheme="gaussian")
    mod.vars["b"].data.set(np.random.randn(2, 4).astype(np.float32))
    x = np.random.randn(5, 2, 3).astype(np.float32)
    out = mod(to_gpu(x)).get()
    W, b = mod.vars["W"].data.get(), mod.vars["b"].data.get()
    for g in range(2):
        np.testing.assert_allclose(out[:, g], x[:, g] @ W[g] + b[g], rtol=1e-5)


def test_bias_only():
    mod = GroupLinear(2, 3, 3, useW=False)
    assert set(mod.vars) == {"b"}
    checkModule(mod, np.random.randn(4, 2, 3))


def test_errors():
    with pytest.raises(ModuleError, match=r"useW=False\) insize must equal outsize"):
        GroupLinear(2, 3, 4, useW=False)
    with pytest.raises(ModuleError, match=r"inmode must be one of full, one, got 'x'"):
        GroupLinear(2, 3, 4, inmode="x")
    with pytest.raises(ModuleError, match=r"GroupLinear 'g': expected data of shape \(N, 2, 3\)"):
        GroupLinear(2, 3, 4, name="g")(to_gpu(np.zeros((5, 3, 3), np.float32)))
