import itertools

import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Modules import ModuleError, Upsample2D, Upsample3D
from tests.gradcheck import checkModule


def trilinearRef(x, s):
    """Loops over output voxels: half-pixel centres, edges clamped, 8 weighted neighbours."""
    n_, c_, D, H, W = x.shape
    out = np.zeros((n_, c_, D * s, H * s, W * s))

    def taps(o, size):
        src = min(max((o + 0.5) / s - 0.5, 0.0), size - 1)
        i0 = int(np.floor(src))
        lam = src - i0
        return [(i0, 1 - lam), (min(i0 + 1, size - 1), lam)]

    for d, h, w in itertools.product(range(D * s), range(H * s), range(W * s)):
        for (a, wa), (b, wb), (c, wc) in itertools.product(taps(d, D), taps(h, H), taps(w, W)):
            out[:, :, d, h, w] += wa * wb * wc * x[:, :, a, b, c]
    return out


def test_nearest_values():
    x = np.random.randn(2, 3, 2, 3, 4).astype(np.float32)
    y = Upsample3D(2)(to_gpu(x)).get()
    np.testing.assert_array_equal(y, x.repeat(2, axis=2).repeat(2, axis=3).repeat(2, axis=4))


@pytest.mark.parametrize("scale", [2, 3])
def test_linear_values_match_loops(scale):
    x = np.random.randn(1, 2, 2, 3, 2).astype(np.float32)
    y = Upsample3D(scale, mode="linear")(to_gpu(x)).get()
    assert y.dtype == np.float32 and y.shape == (1, 2, 2 * scale, 3 * scale, 2 * scale)
    np.testing.assert_allclose(y, trilinearRef(x.astype(np.float64), scale), rtol=1e-5, atol=1e-6)


def test_linear_agrees_with_upsample2d_on_flat_volumes():
    x = np.random.randn(2, 2, 1, 3, 4).astype(np.float32)
    y3 = Upsample3D(2, mode="linear")(to_gpu(x)).get()
    y2 = Upsample2D(2, mode="linear")(to_gpu(x[:, :, 0])).get()
    np.testing.assert_allclose(y3[:, :, 0], y2, rtol=1e-6)
    np.testing.assert_allclose(y3[:, :, 1], y2, rtol=1e-6)


@pytest.mark.parametrize("scale,shape", [(2, (1, 2, 2, 2, 3)), (3, (1, 1, 2, 1, 2)), (1, (2, 1, 2, 2, 2))])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_gradients(scale, shape, mode):
    checkModule(Upsample3D(scale, mode), np.random.randn(*shape))


def test_shapes_and_errors():
    mod = Upsample3D(3, name="u")
    assert mod.dataShapeFrom((1, 2, 3, 4, 5)) == (1, 2, 9, 12, 15)
    assert mod.gradShapeFrom((1, 2, 9, 12, 15)) == (1, 2, 3, 4, 5)
    with pytest.raises(ModuleError, match=r"Upsample3D 'u'.*5-d.*\(1, 2, 3, 4\)"):
        mod(to_gpu(np.zeros((1, 2, 3, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"Upsample3D 'u'.*dtype float32, got float64"):
        mod(to_gpu(np.zeros((1, 1, 1, 1, 1), np.float64)))
    with pytest.raises(ModuleError, match=r"Upsample3D.*unknown mode 'cubic'"):
        Upsample3D(mode="cubic")
    with pytest.raises(ModuleError, match=r"Upsample3D.*scale must be a positive integer"):
        Upsample3D(scale=0)


def test_blueprint_round_trip():
    net = Sequential().append(Upsample3D(2, mode="linear"))
    x = to_gpu(np.random.randn(1, 2, 2, 2, 3).astype(np.float32))
    again = Blueprint.load(net.save(withBlueprint=True))
    assert again[0].getBlueprint()["scheme"] == {"scale": 2, "mode": "linear", "name": None}
    np.testing.assert_array_equal(again(x).get(), net(x).get())
    assert "mode=linear" in str(again[0])
