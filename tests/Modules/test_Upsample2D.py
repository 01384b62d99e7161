import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Upsample2D import Upsample2D
from tests.gradcheck import checkModule


@pytest.mark.parametrize("scale,shape", [(2, (1, 2, 2, 3)), (3, (2, 1, 2, 2)), (1, (1, 1, 2, 2))])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_gradients(scale, shape, mode):
    checkModule(Upsample2D(scale, mode), np.random.randn(*shape))


def test_nearest_values():
    x = np.random.randn(2, 3, 2, 4).astype(np.float32)
    y = Upsample2D(3)(to_gpu(x)).get()
    np.testing.assert_array_equal(y, x.repeat(3, axis=2).repeat(3, axis=3))


def test_linear_values_half_pixel():
    # 1-d by hand: [0, 1] at scale 2 -> [0, 0.25, 0.75, 1] (half-pixel centres, clamped edges)
    x = np.array([[0.0, 1.0], [0.0, 1.0]], np.float32).reshape(1, 1, 2, 2)
    y = Upsample2D(2, mode="linear")(to_gpu(x)).get()[0, 0]
    np.testing.assert_allclose(y, np.tile([0.0, 0.25, 0.75, 1.0], (4, 1)), rtol=1e-6)
    x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    y = Upsample2D(2, mode="linear")(to_gpu(x)).get()[0, 0]
    np.testing.assert_allclose(y[1, 1], 0.75 * 0.75 * 0 + 0.75 * 0.25 * 1 + 0.25 * 0.75 * 3 + 0.25 * 0.25 * 4)


def test_errors():
    with pytest.raises(ModuleError, match=r"Upsample2D 'u'.*4-d.*\(2, 3\)"):
        Upsample2D(name="u")(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Upsample2D.*unknown mode 'cubic'"):
        Upsample2D(mode="cubic")
    with pytest.raises(ModuleError, match=r"Upsample2D.*scale must be a positive integer"):
        Upsample2D(scale=0)
