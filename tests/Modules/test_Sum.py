import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Sum import Sum
from tests.gradcheck import checkModule


@pytest.mark.parametrize("axis,xshape,wshape", [(1, (2, 3, 2), (2, 3)), (1, (2, 3, 2), (2, 3, 2)),
                                                (-1, (2, 3), (2, 3)), (0, (3, 2), (3,))])
def test_gradients_weighted(axis, xshape, wshape):
    analytic, _ = checkModule(Sum(axis), [np.random.randn(*xshape), np.random.randn(*wshape)])
    assert {"input0", "input1"} <= set(analytic)


@pytest.mark.parametrize("axis,shape", [(1, (2, 3, 2)), (-1, (2, 3)), (0, (3, 2))])
def test_gradients_plain(axis, shape):
    checkModule(Sum(axis, useWeights=False), np.random.randn(*shape))


def test_values():
    x = np.random.randn(2, 3, 4).astype(np.float32)
    w = np.random.rand(2, 3).astype(np.float32)
    np.testing.assert_allclose(Sum(1)([to_gpu(x), to_gpu(w)]).get(), (x * w[:, :, None]).sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(Sum(2, useWeights=False)(to_gpu(x)).get(), x.sum(axis=2), rtol=1e-5)
    assert Sum(1).dataShapeFrom([(2, 3, 4), (2, 3)]) == (2, 4)


def test_errors():
    with pytest.raises(ModuleError, match=r"Sum 's'.*weights of shape \(2, 3\).*\(2, 3, 4\), got \(3,\)"):
        Sum(1, name="s")([to_gpu(np.zeros((2, 3, 4), np.float32)), to_gpu(np.zeros((3,), np.float32))])
    with pytest.raises(ModuleError, match=r"Sum.*list of arrays, got a single array"):
        Sum(1)(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Sum.*axis=3 is out of range for 2-d"):
        Sum(3, useWeights=False)(to_gpu(np.zeros((2, 3), np.float32)))
