import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Dropout import Dropout
from PuzzleLib.Modules.Dropout2D import Dropout2D
from tests.gradcheck import checkModule
from tests.Modules.fixedrng import FixedRng


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2)])
@pytest.mark.parametrize("inplace", [False, True])
def test_gradients(shape, inplace):
    checkModule(Dropout(0.4, rng=FixedRng(), inplace=inplace), np.random.randn(*shape))


def test_gradients_with_slicing():
    mod = Dropout(0.5, rng=FixedRng(1), slicing=(slice(None), slice(1, 3)))
    checkModule(mod, np.random.randn(3, 4))
    x = np.random.randn(3, 4).astype(np.float32)
    out = mod.__class__(0.5, rng=FixedRng(1), slicing=(slice(None), slice(1, 3)))(to_gpu(x)).get()
    np.testing.assert_array_equal(out[:, [0, 3]], x[:, [0, 3]])


def test_train_drops_about_p_and_rescales():
    mod = Dropout(p=0.25)
    x = np.ones((200, 50), np.float32)
    out = mod(to_gpu(x)).get()
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.02
    grad = mod.backward(to_gpu(np.ones_like(x))).get()
    np.testing.assert_array_equal(grad, out)  # same mask and scale


def test_eval_is_identity_and_train_again_drops():
    mod = Dropout(p=0.5)
    x = to_gpu(np.random.randn(4, 6).astype(np.float32))
    mod.evalMode()
    np.testing.assert_array_equal(mod(x).get(), x.get())
    g = to_gpu(np.random.randn(4, 6).astype(np.float32))
    np.testing.assert_array_equal(mod.backward(g).get(), g.get())
    mod.trainMode()
    assert (mod(x).get() == 0).any()


def test_default_rng_is_the_backends_global_generator():
    x = to_gpu(np.ones((5, 7), np.float32))
    gpuarray.xp.random.seed(7)
    a = Dropout(0.5)(x).get()
    gpuarray.xp.random.seed(7)
    b = Dropout(0.5)(x).get()
    np.testing.assert_array_equal(a, b)
    assert (a == 0).any() and (a == 2).any()


def test_host_generator_masks_reach_the_device():
    # a numpy generator draws on the host: its mask must still apply to a device array
    x = to_gpu(np.ones((4, 6), np.float32))
    out = Dropout(0.5, rng=np.random.RandomState(3))(x).get()
    keep = np.random.RandomState(3).random_sample((4, 6)) < 0.5  # kept below partition = 1 - p
    np.testing.assert_array_equal(out, np.where(keep, 2.0, 0.0))


def test_dropout2d_drops_whole_maps():
    mod = Dropout2D(p=0.5)
    out = mod(to_gpu(np.ones((8, 6, 3, 3), np.float32))).get()
    per_map = out.reshape(8, 6, 9)
    assert ((per_map == 0).all(axis=2) | (per_map == 2).all(axis=2)).all()
    assert 0 < (per_map[:, :, 0] == 0).sum() < 48
    mod.evalMode()
    np.testing.assert_array_equal(mod(to_gpu(np.ones((1, 2, 2, 2), np.float32))).get(), 1)


def test_dropout2d_gradients():
    checkModule(Dropout2D(0.5, rng=FixedRng(3)), np.random.randn(2, 3, 2, 2))


def test_errors():
    with pytest.raises(ModuleError, match=r"Dropout.*p.*\[0, 1\).*1\.5"):
        Dropout(p=1.5)
    with pytest.raises(ModuleError, match=r"Dropout.*rng"):
        Dropout(rng=42)
    with pytest.raises(ModuleError, match=r"Dropout2D 'd'.*4-d.*\(N, C, H, W\).*\(2, 3\)"):
        Dropout2D(name="d")(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Dropout.*float32.*float64"):
        Dropout()(to_gpu(np.zeros((2, 3), np.float64)))


def test_blueprint_omits_rng():
    bp = Dropout(0.3, rng=np.random.RandomState(1)).getBlueprint()
    assert bp["scheme"]["rng"] is None and bp["scheme"]["p"] == 0.3


def test_rands_are_the_uniform_draws_and_keep_exactly_those_below_partition():
    mod = Dropout(p=0.3)
    x = np.random.randn(6, 5).astype(np.float32) + 3.0
    out = mod(to_gpu(x)).get()
    assert mod.partition == pytest.approx(0.7)
    draws = mod.rands.get()
    assert draws.shape == (30,) and draws.min() >= 0.0 and draws.max() < 1.0
    kept = draws.reshape(6, 5) < mod.partition
    np.testing.assert_allclose(out, np.where(kept, x / 0.7, 0.0), rtol=1e-6)
    g = np.random.randn(6, 5).astype(np.float32)
    np.testing.assert_allclose(mod.backward(to_gpu(g)).get(), np.where(kept, g / 0.7, 0.0), rtol=1e-6)


def test_dropout2d_rands_hold_one_draw_per_map():
    mod = Dropout2D(p=0.5)
    x = np.ones((3, 4, 2, 2), np.float32)
    out = mod(to_gpu(x)).get()
    draws = mod.rands.get()
    assert draws.shape == (12,)
    kept = (draws < mod.partition).reshape(3, 4)
    np.testing.assert_array_equal(out[:, :, 0, 0], np.where(kept, 2.0, 0.0))


def test_rands_are_none_in_eval_mode():
    mod = Dropout(p=0.5)
    mod(to_gpu(np.ones((2, 2), np.float32)))
    mod.evalMode()
    mod(to_gpu(np.ones((2, 2), np.float32)))
    assert mod.rands is None
