import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import SpatialTf
from tests.gradcheck import checkModule

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def test_identity_reproduces_input_and_flip_mirrors():
    x = np.random.randn(2, 3, 4, 5).astype(np.float32)
    tf = np.tile(IDENTITY, (2, 1, 1)).astype(np.float32)
    np.testing.assert_allclose(SpatialTf()([to_gpu(x), to_gpu(tf)]).get(), x, atol=1e-5)
    flip = tf.copy()
    flip[:, 0, 0] = -1
    np.testing.assert_allclose(SpatialTf()([to_gpu(x), to_gpu(flip)]).get(), x[..., ::-1], atol=1e-5)


def test_half_pixel_shift_averages_neighbours_and_outside_reads_zero():
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 1, 4)
    tf = np.array([[[1.0, 0.0, 1.0 / 3.0], [0.0, 1.0, 0.0]]], np.float32)  # half a pixel right (pixel = 2/3)
    out = SpatialTf()([to_gpu(x), to_gpu(tf)])
    out = out.get()[0, 0, 0]
    np.testing.assert_allclose(out, [0.5, 1.5, 2.5, 1.5], atol=1e-5)


@pytest.mark.parametrize("shape,outShape", [((1, 1, 3, 3), None), ((2, 2, 4, 3), (2, 5)), ((1, 3, 2, 4), (3, 3))])
def test_gradients(shape, outShape):
    N = shape[0]
    tf = np.tile(IDENTITY, (N, 1, 1)) + 0.15 * np.random.randn(N, 2, 3)
    mod = SpatialTf(shape=outShape)
    analytic, _ = checkModule(mod, [np.random.randn(*shape), tf])
    assert set(analytic) == {"input0", "input1"}
    assert mod.dataShapeFrom([shape, (N, 2, 3)]) == mod.data.shape


def test_errors():
    with pytest.raises(ModuleError, match=r"shape must be \(outH, outW\)"):
        SpatialTf(shape=(3,))
    with pytest.raises(ModuleError, match=r"SpatialTf: expected maps \(N, C, H, W\) and transforms \(N, 2, 3\)"):
        SpatialTf()([to_gpu(np.zeros((2, 1, 3, 3), np.float32)), to_gpu(np.zeros((2, 3, 3), np.float32))])
    with pytest.raises(ModuleError, match=r"expected a list"):
        SpatialTf()(to_gpu(np.zeros((2, 1, 3, 3), np.float32)))
