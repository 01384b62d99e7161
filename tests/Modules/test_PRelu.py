import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.PRelu import PRelu
from tests.gradcheck import checkModule


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 2)])
@pytest.mark.parametrize("sharedMaps", [False, True])
@pytest.mark.parametrize("inplace", [False, True])
def test_gradients(shape, sharedMaps, inplace):
    mod = PRelu(3, inplace=inplace, sharedMaps=sharedMaps)
    mod.vars["slopes"].data.set(np.random.rand(*mod.vars["slopes"].data.shape).astype(np.float32))
    analytic, _ = checkModule(mod, np.random.randn(*shape))
    assert set(analytic) == {"input0", "slopes"}


def test_values_and_params():
    mod = PRelu(2)
    assert mod.vars["slopes"].data.shape == (2,)
    np.testing.assert_array_equal(mod.vars["slopes"].data.get(), 0.25)
    assert PRelu(5, sharedMaps=True).vars["slopes"].data.shape == (1,)
    mod.vars["slopes"].data.set(np.array([0.5, 0.1], np.float32))
    y = mod(to_gpu(np.array([[-2.0, -10.0], [3.0, 4.0]], np.float32))).get()
    np.testing.assert_allclose(y, [[-1.0, -1.0], [3.0, 4.0]])


def test_errors():
    with pytest.raises(ModuleError, match=r"PRelu 'p'.*\(N, 3\[, \.\.\.\]\).*\(2, 4\)"):
        PRelu(3, name="p")(to_gpu(np.zeros((2, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"PRelu.*maps must be a positive integer"):
        PRelu(0)
