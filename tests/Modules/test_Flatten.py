import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Flatten import Flatten
from tests.gradcheck import checkModule


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (1, 2, 3, 2)])
def test_gradients(shape):
    checkModule(Flatten(), np.random.randn(*shape))


def test_forward_and_shapes():
    x = np.random.randn(2, 3, 4, 5).astype(np.float32)
    mod = Flatten()
    out = mod(to_gpu(x))
    np.testing.assert_array_equal(out.get(), x.reshape(2, 60))
    assert mod.dataShapeFrom((2, 3, 4, 5)) == (2, 60)
    assert mod.gradShapeFrom((2, 60)) == (2, 3, 4, 5)
    assert mod.backward(to_gpu(np.ones((2, 60), np.float32))).shape == (2, 3, 4, 5)


def test_bad_dtype_names_module():
    with pytest.raises(ModuleError, match=r"Flatten 'f'.*float32.*float64"):
        Flatten(name="f")(to_gpu(np.zeros((2, 3), np.float64)))


def test_list_input_refused():
    with pytest.raises(ModuleError, match=r"Flatten.*one array, got a list of 2"):
        Flatten()([to_gpu(np.zeros((2, 3), np.float32))] * 2)


def test_empty_batch():
    mod = Flatten()
    assert mod(to_gpu(np.zeros((0, 3, 4), np.float32))).shape == (0, 12)
    assert mod.backward(to_gpu(np.zeros((0, 12), np.float32))).shape == (0, 3, 4)


def test_grad_shape_takes_the_batch_of_the_given_shape():
    """It returned the last input's shape whatever batch was asked for ((3, 60) gave (2, 3, 4, 5))."""
    mod = Flatten(name="f")
    mod(to_gpu(np.zeros((2, 3, 4, 5), np.float32)))
    assert mod.gradShapeFrom((3, 60)) == (3, 3, 4, 5)
    with pytest.raises(ModuleError, match=r"Flatten 'f': gradShapeFrom: expected .*\(N, 60\).*got \(3, 7\)"):
        mod.gradShapeFrom((3, 7))
