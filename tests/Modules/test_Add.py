import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Add import Add
from tests.gradcheck import checkModule


@pytest.mark.parametrize("n,shape", [(2, (2, 3)), (3, (1, 2, 2))])
def test_gradients(n, shape):
    analytic, _ = checkModule(Add(), [np.random.randn(*shape) for _ in range(n)])
    assert len([k for k in analytic if k.startswith("input")]) == n


def test_forward_and_grads_are_separate_arrays():
    xs = [np.random.randn(2, 3).astype(np.float32) for _ in range(3)]
    mod = Add()
    np.testing.assert_allclose(mod([to_gpu(x) for x in xs]).get(), xs[0] + xs[1] + xs[2], rtol=1e-6)
    grads = mod.backward(to_gpu(np.ones((2, 3), np.float32)))
    assert len(grads) == 3 and grads[1] is not grads[2]
    grads[1][...] = 5
    np.testing.assert_array_equal(grads[2].get(), 1)
    assert mod.dataShapeFrom([(2, 3), (2, 3)]) == (2, 3)
    assert mod.gradShapeFrom((2, 3)) == [(2, 3)] * 3


def test_errors_name_module_and_shapes():
    mod = Add(name="sum")
    with pytest.raises(ModuleError, match=r"Add 'sum'.*one shape.*\[\(2, 3\), \(2, 4\)\]"):
        mod([to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros((2, 4), np.float32))])
    with pytest.raises(ModuleError, match=r"Add 'sum'.*list of arrays.*single array of shape \(2, 3\)"):
        mod(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Add 'sum'.*float32.*float64"):
        mod([to_gpu(np.zeros((2, 3), np.float32)), to_gpu(np.zeros((2, 3), np.float64))])
    with pytest.raises(ModuleError, match=r"Add 'sum'.*non-empty list"):
        mod([])
    with pytest.raises(ModuleError, match=r"Add 'sum'.*list of device arrays.*ndarray, int"):
        mod([np.zeros(2), 3])
