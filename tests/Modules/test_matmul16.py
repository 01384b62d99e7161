"""PuzzleLib/Modules/_matmul.py: float16 products of operands with more than two axes as 2-d
products (issue 20, finding 5), against numpy's product in float64."""
import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules import BatchNorm2D, GroupLinear, InstanceNorm2D, SpatialTf, Upsample2D, Upsample3D
from PuzzleLib.Modules._matmul import matmul

EMULATED = getattr(gpuarray.xp, "__version__", "") == "emulated"

CASES = [
    ((2, 3, 4, 5), (5, 6)),       # shared right operand (Upsample's width pass, SpatialTf)
    ((7, 4), (2, 3, 4, 5)),       # shared left operand (Upsample's height pass)
    ((3, 4, 5), (3, 5, 2)),       # one product per group (GroupLinear)
    ((1, 4, 5), (3, 5, 2)),       # broadcast groups (GroupLinear, inmode="one")
    ((3, 5, 4), (1, 4, 2)),       # broadcast groups (GroupLinear, wmode="one")
    ((4, 5), (5, 3)),             # 2-d: as it was
]


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("shapes", CASES)
@pytest.mark.parametrize("withOut", [False, True])
def test_products_match_numpy(shapes, dtype, withOut):
    a = np.random.uniform(-1, 1, shapes[0]).astype(dtype)
    b = np.random.uniform(-1, 1, shapes[1]).astype(dtype)
    ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
    out = gpuarray.empty(ref.shape, dtype) if withOut else None
    res = matmul(gpuarray.to_gpu(a), gpuarray.to_gpu(b), out=out)
    assert res.shape == ref.shape and res.dtype == dtype
    if withOut:
        assert res is out
    np.testing.assert_allclose(np.asarray(res.get() if hasattr(res, "get") else res, np.float64), ref,
                               rtol=2e-3 if dtype == np.float16 else 1e-5, atol=2e-3 if dtype == np.float16 else 1e-6)


def test_into_a_non_contiguous_out():
    a = np.random.uniform(-1, 1, (3, 4, 5)).astype(np.float16)
    b = np.random.uniform(-1, 1, (3, 5, 2)).astype(np.float16)
    out = gpuarray.zeros((3, 4, 4), np.float16)[:, :, ::2]
    matmul(gpuarray.to_gpu(a), gpuarray.to_gpu(b), out=out)
    np.testing.assert_allclose(out.get().astype(np.float64), a.astype(np.float64) @ b.astype(np.float64), atol=2e-3)


def _modules():
    yield GroupLinear(3, 5, 4), [(6, 3, 5)]
    yield GroupLinear(3, 5, 4, inmode="one", wmode="one"), [(6, 5)]
    yield Upsample2D(scale=2, mode="linear"), [(2, 3, 4, 5)]
    yield Upsample3D(scale=2, mode="linear"), [(2, 2, 3, 4, 3)]
    yield SpatialTf(), [(2, 3, 4, 5), (2, 2, 3)]
    yield BatchNorm2D(3), [(4, 3, 5, 6)]
    yield InstanceNorm2D(3), [(4, 3, 5, 6)]


@pytest.mark.skipif(not EMULATED, reason="counts the products CuPy widens through the CuPy stand-in: "
                                          "run with python -m tests.Backend.cudaemu")
@pytest.mark.parametrize("index", range(7))
def test_no_float16_product_is_widened_to_float32_in_a_module_step(index):
    from tests.Backend.cudaemu import countWidenedProducts
    mod, shapes = list(_modules())[index]
    mod.calcMode(np.float16)
    xs = [gpuarray.to_gpu(np.random.uniform(-1, 1, s).astype(np.float16)) for s in shapes]
    with countWidenedProducts() as seen:
        y = mod(xs if len(xs) > 1 else xs[0])
        mod.backward(gpuarray.to_gpu(np.random.uniform(-1, 1, y.shape).astype(np.float16)))
    assert seen == []
