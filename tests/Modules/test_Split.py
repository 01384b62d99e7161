import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Split import Split
from tests.gradcheck import checkModule


@pytest.mark.parametrize("axis,sections,shape", [(1, (1, 2), (2, 3)), (-1, 2, (2, 2, 4)), (0, (1, 1, 1), (3, 2))])
def test_gradients(axis, sections, shape):
    analytic, _ = checkModule(Split(axis, sections), np.random.randn(*shape))
    assert "input0" in analytic


def test_forward_values_and_shapes():
    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    mod = Split(axis=1, sections=[2, 3])
    a, b = mod(to_gpu(x))
    np.testing.assert_array_equal(a.get(), x[:, :2])
    np.testing.assert_array_equal(b.get(), x[:, 2:])
    assert mod.dataShapeFrom((2, 5)) == [(2, 2), (2, 3)]
    assert mod.gradShapeFrom([(2, 2), (2, 3)]) == (2, 5)
    g = mod.backward([to_gpu(np.ones((2, 2), np.float32)), to_gpu(np.zeros((2, 3), np.float32))])
    np.testing.assert_array_equal(g.get(), np.hstack([np.ones((2, 2)), np.zeros((2, 3))]))


def test_errors():
    mod = Split(1, (2, 2), name="s")
    with pytest.raises(ModuleError, match=r"Split 's'.*add up to 4.*\(2, 5\).*size 5"):
        mod(to_gpu(np.zeros((2, 5), np.float32)))
    mod(to_gpu(np.zeros((2, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"Split 's'.*gradients of shapes \[\(2, 2\), \(2, 2\)\].*\[\(2, 2\), \(2, 3\)\]"):
        mod.backward([to_gpu(np.zeros((2, 2), np.float32)), to_gpu(np.zeros((2, 3), np.float32))])
    with pytest.raises(ModuleError, match=r"Split 's'.*gradients of shapes.*got \[\(2, 2\)\]"):
        mod.backward([to_gpu(np.zeros((2, 2), np.float32))])
    with pytest.raises(ModuleError, match=r"Split 's'.*gradient of dtype float32, got float64"):
        mod.backward([to_gpu(np.zeros((2, 2), np.float64))] * 2)
    with pytest.raises(ModuleError, match=r"Split.*3 equal sections"):
        Split(1, 3)(to_gpu(np.zeros((2, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"Split.*sections"):
        Split(1, [])
