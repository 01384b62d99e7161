import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import BatchNorm, ModuleError
from tests.gradcheck import checkModule


@pytest.mark.parametrize("shape", [(6, 5), (3, 1), (2, 4)])
def test_train_gradients(shape):
    analytic, _ = checkModule(BatchNorm(shape[1]), np.random.randn(*shape) * 3, rtol=1e-4, atol=1e-6)
    assert set(analytic) == {"input0", "scale", "bias"}


def test_train_vs_eval():
    mod = BatchNorm(3, sscale=0)
    x = np.random.randn(10, 3).astype(np.float32) * 4 + 2
    y = mod(to_gpu(x)).get()
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(mod.attrs["mean"].get().ravel(), x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(mod.attrs["var"].get().ravel(), x.var(axis=0, ddof=1), rtol=1e-5)
    mod.evalMode()
    z = mod(to_gpu(x)).get()
    np.testing.assert_allclose(z, (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + 1e-5), rtol=1e-4, atol=1e-5)
    assert mod.vars["scale"].data.shape == (1, 3)
    mod.calcMode(np.float64)
    checkModule(mod, np.random.randn(4, 3), params=())


def test_errors():
    with pytest.raises(ModuleError, match=r"BatchNorm 'f'.*2-d data \(N, 3\).*\(2, 3, 1\)"):
        BatchNorm(3, name="f")(to_gpu(np.zeros((2, 3, 1), np.float32)))
    with pytest.raises(ModuleError, match=r"BatchNorm.*size must be a positive"):
        BatchNorm(-1)


def test_empty_batch_train_refused():
    with pytest.raises(ModuleError, match=r"BatchNorm 'f'.*empty batch.*\(0, 3\)"):
        BatchNorm(3, name="f")(to_gpu(np.zeros((0, 3), np.float32)))


def test_a_batch_of_one_leaves_the_running_statistics_alone():
    # one value per feature: no variance to estimate; the output is the bias (xhat = 0) and the
    # running mean/var keep their values instead of being pulled towards a variance of 0
    bn = BatchNorm(3, name="f")
    bn(to_gpu(np.random.randn(4, 3).astype(np.float32)))
    before = (bn.attrs["mean"].get(), bn.attrs["var"].get(), bn.numOfCalls)
    out = bn(to_gpu(np.random.randn(1, 3).astype(np.float32)))
    np.testing.assert_allclose(out.get(), bn.vars["bias"].data.get().reshape(1, 3), atol=1e-6)
    np.testing.assert_array_equal(bn.attrs["mean"].get(), before[0])
    np.testing.assert_array_equal(bn.attrs["var"].get(), before[1])
    assert bn.numOfCalls == before[2]


def test_savemean_and_saveinvvar_hold_the_last_training_batch_statistics():
    mod = BatchNorm(3, epsilon=1e-3)
    assert mod.savemean is None and mod.saveinvvar is None
    x = np.array([[1.0, 0.0, 5.0], [3.0, 2.0, 5.0], [5.0, 4.0, 5.0], [7.0, 6.0, 5.0]], np.float32)
    mod(to_gpu(x))
    np.testing.assert_allclose(mod.savemean.get(), [[4.0, 3.0, 5.0]], rtol=1e-6)
    # population variances 5, 5, 0 -> 1 / sqrt(var + epsilon)
    np.testing.assert_allclose(mod.saveinvvar.get(), [[1 / np.sqrt(5.001), 1 / np.sqrt(5.001), 1 / np.sqrt(0.001)]],
                               rtol=1e-5)
