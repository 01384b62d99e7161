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


@pytest.mark.parametrize("batchDim", [0, 1])
@pytest.mark.parametrize("useW", [True, False])
def test_inmode_one_takes_a_group_axis_of_length_one_and_gives_the_gradient_back_in_that_shape(batchDim, useW):
    mod = GroupLinear(3, 4, 4 if not useW else 2, inmode="one", batchDim=batchDim, useW=useW, initscheme="gaussian")
    mod.vars["b"].data.set(np.random.randn(*mod.vars["b"].data.shape).astype(np.float32))
    shape = (2, 1, 4) if batchDim == 0 else (1, 2, 4)
    checkModule(mod, np.random.randn(*shape))
    assert mod.data.shape == ((2, 3, mod.outsize) if batchDim == 0 else (3, 2, mod.outsize))
    assert mod.grad.shape == shape and mod.gradShapeFrom(mod.data.shape) == shape
    assert mod.dataShapeFrom(shape) == mod.data.shape


def test_inmode_one_feeds_the_same_sample_to_every_group():
    mod = GroupLinear(2, 3, 2, inmode="one", initscheme="gaussian")
    x = np.random.randn(4, 1, 3).astype(np.float32)
    out = mod(to_gpu(x)).get()
    W = mod.vars["W"].data.get()
    for g in range(2):
        np.testing.assert_allclose(out[:, g], x[:, 0] @ W[g], rtol=1e-5)
    with pytest.raises(ModuleError, match=r"expected data of shape \(N, 1, 3\) or \(N, 3\) \(inmode 'one'\), got \(4, 2, 3\)"):
        mod(to_gpu(np.zeros((4, 2, 3), np.float32)))


def test_groups_none_shares_one_weight_over_as_many_groups_as_the_data_has():
    mod = GroupLinear(None, 3, 2, wmode="one", initscheme="gaussian")
    assert mod.groups is None and mod.vars["W"].data.shape == (1, 3, 2)
    mod.vars["b"].data.set(np.random.randn(1, 2).astype(np.float32))
    x = np.random.randn(2, 3, 3).astype(np.float32)
    W, b = mod.vars["W"].data.get()[0], mod.vars["b"].data.get()[0]
    np.testing.assert_allclose(mod(to_gpu(x)).get(), x @ W + b, rtol=1e-5)
    assert "groups=any" in str(mod)
    for groups in (1, 4):
        checkModule(mod, np.random.randn(2, groups, 3))
        assert mod.data.shape == (2, groups, 2)
        assert mod.dataShapeFrom((5, groups, 3)) == (5, groups, 2)


def test_groups_none_needs_shared_weights():
    with pytest.raises(ModuleError, match=r"groups=None .* needs wmode='one' and inmode='full'.*wmode='full'"):
        GroupLinear(None, 3, 2)
    with pytest.raises(ModuleError, match=r"groups must be a positive integer, got 0"):
        GroupLinear(0, 3, 2, wmode="one")
