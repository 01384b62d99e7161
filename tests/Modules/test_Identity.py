import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Identity import Identity
from tests.gradcheck import checkModule


@pytest.mark.parametrize("shape", [(3,), (2, 3, 2)])
def test_gradients(shape):
    checkModule(Identity(), np.random.randn(*shape))


def test_passes_through_and_checks_dtype():
    x = to_gpu(np.ones((2, 2), np.float32))
    mod = Identity()
    assert mod(x) is x and mod.backward(x) is x
    with pytest.raises(ModuleError, match=r"Identity 'i'.*float32.*float64"):
        Identity(name="i")(to_gpu(np.ones((2, 2), np.float64)))
