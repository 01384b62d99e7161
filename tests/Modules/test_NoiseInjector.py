import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import NoiseInjector
from tests.gradcheck import checkModule


class FixedRng:
    """Draws the same numbers on every call, so finite differences see one fixed noise."""

    def uniform(self, low, high, size):
        return np.random.RandomState(7).uniform(low, high, size)

    def normal(self, mean, std, size):
        return np.random.RandomState(7).normal(mean, std, size)


@pytest.mark.parametrize("mode", ["add", "mul"])
@pytest.mark.parametrize("noisetype,params", [("uniform", (0.5, 1.5)), ("gaussian", (1.0, 0.3))])
@pytest.mark.parametrize("slicing", [None, (slice(None), slice(1, 3))])
def test_gradients(mode, noisetype, params, slicing):
    mod = NoiseInjector(mode=mode, noisetype=noisetype, params=params, rng=FixedRng(), slicing=slicing)
    checkModule(mod, np.random.randn(3, 4))


def test_values_and_eval_mode():
    mod = NoiseInjector(mode="mul", noisetype="uniform", params=(2.0, 2.0))
    x = to_gpu(np.random.randn(2, 3).astype(np.float32))
    np.testing.assert_allclose(mod(x).get(), 2 * x.get(), rtol=1e-6)
    np.testing.assert_allclose(mod.backward(to_gpu(np.ones((2, 3), np.float32))).get(), 2.0)
    add = NoiseInjector(mode="add", params=(0.0, 1.0), slicing=(slice(None), slice(0, 1)))
    out = add(x).get()
    np.testing.assert_array_equal(out[:, 1:], x.get()[:, 1:])
    assert np.all((out[:, 0] - x.get()[:, 0] >= 0) & (out[:, 0] - x.get()[:, 0] <= 1))
    mod.evalMode()
    np.testing.assert_array_equal(mod(x).get(), x.get())


def test_global_generator_is_seedable_and_blueprint_drops_rng():
    x = to_gpu(np.zeros((2, 3), np.float32))
    gpuarray.xp.random.seed(5)  # the backend's generator (np.random on the CPU, CuPy's on CUDA)
    a = NoiseInjector(noisetype="gaussian", params=(0.0, 1.0))(x).get()
    gpuarray.xp.random.seed(5)
    b = NoiseInjector(noisetype="gaussian", params=(0.0, 1.0))(x).get()
    np.testing.assert_array_equal(a, b)
    bp = NoiseInjector(rng=np.random.RandomState(1)).getBlueprint()
    assert bp["scheme"]["rng"] is None and bp["scheme"]["params"] == [0.0, 1.0]


def test_bad_arguments():
    with pytest.raises(ModuleError, match=r"unknown mode 'sub'"):
        NoiseInjector(mode="sub")
    with pytest.raises(ModuleError, match=r"unknown noisetype 'poisson'"):
        NoiseInjector(noisetype="poisson")
    with pytest.raises(ModuleError, match=r"params must be a pair"):
        NoiseInjector(params=(1.0,))
    with pytest.raises(ModuleError, match=r"low <= high"):
        NoiseInjector(params=(2.0, 1.0))


def test_list_input_is_refused():
    with pytest.raises(ModuleError, match=r"NoiseInjector: expected one array, got a list of 1"):
        NoiseInjector()([to_gpu(np.zeros((1, 2), np.float32))])


def test_rng_without_the_draw_method_is_refused_at_construction():
    with pytest.raises(ModuleError, match="NoiseInjector: rng must have a uniform"):
        NoiseInjector(rng=5)
    with pytest.raises(ModuleError, match="rng must have a normal"):
        NoiseInjector(noisetype="gaussian", rng=object())
    y = NoiseInjector(params=(0.5, 0.5), rng=np.random.RandomState(0))(to_gpu(np.zeros((2, 2), np.float32)))
    np.testing.assert_allclose(y.get(), 0.5)


def test_rands_name_the_last_noise_drawn():
    mod = NoiseInjector(mode="mul", noisetype="uniform", params=(2.0, 3.0))
    x = np.random.randn(4, 3).astype(np.float32)
    out = mod(to_gpu(x)).get()
    noise = mod.rands.get()
    assert noise.shape == (4, 3) and noise.min() >= 2.0 and noise.max() <= 3.0
    np.testing.assert_allclose(out, x * noise, rtol=1e-6)
    assert mod.rands is mod.noise
