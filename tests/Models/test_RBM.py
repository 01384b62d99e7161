import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Models.Misc.RBM import RBM
from PuzzleLib.Optimizers import SGD


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_cd_statistics_by_hand():
    rbm = RBM(4, 3, rng=np.random.RandomState(0))
    W = rbm.vars["W"].data.get()
    assert W.shape == (4, 3) and abs(W.std() - 1 / np.sqrt(7)) < 0.5
    rbm.vars["b"].data.set(np.array([0.1, -0.2, 0.3, 0.0], np.float32))
    rbm.vars["c"].data.set(np.array([0.5, -0.5, 0.0], np.float32))
    b, c = rbm.vars["b"].data.get(), rbm.vars["c"].data.get()
    v0 = np.array([[1, 0, 1, 1], [0, 1, 0, 0]], np.float32)

    rbm.rng = np.random.RandomState(7)
    rbm.calcCDGrad(to_gpu(v0))

    rng = np.random.RandomState(7)
    ph0 = sigmoid(v0 @ W + c)
    h0 = (rng.random_sample(ph0.shape) < ph0).astype(np.float32)
    pv1 = sigmoid(h0 @ W.T + b)
    v1 = (rng.random_sample(pv1.shape) < pv1).astype(np.float32)
    ph1 = sigmoid(v1 @ W + c)
    np.testing.assert_allclose(rbm.vars["W"].grad.get(), v0.T @ ph0 - v1.T @ ph1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rbm.vars["b"].grad.get(), (v0 - v1).sum(0), atol=1e-6)
    np.testing.assert_allclose(rbm.vars["c"].grad.get(), (ph0 - ph1).sum(0), rtol=1e-5, atol=1e-6)


def test_pcd_training_raises_the_data_likelihood_proxy():
    np.random.seed(0)
    patterns = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], np.float32)
    data = patterns[np.random.randint(0, 2, size=64)]
    rbm = RBM(6, 4, rng=np.random.RandomState(1))
    optimizer = SGD(learnRate=0.05)
    optimizer.setupOn(rbm, useGlobalState=True)

    def reconstructionError():
        W, b, c = (rbm.vars[n].data.get() for n in "Wbc")
        return float(((sigmoid(sigmoid(data @ W + c) @ W.T + b) - data) ** 2).mean())

    before = reconstructionError()
    for _ in range(200):
        rbm.calcPCDGrad(to_gpu(data))
        optimizer.update()
    assert reconstructionError() < before / 2
    assert rbm.particles.shape == data.shape


def test_module_interface_refused_and_shapes_checked():
    rbm = RBM(4, 2)
    with pytest.raises(ModuleError, match="does not support full module interface"):
        rbm(to_gpu(np.zeros((1, 4), np.float32)))
    with pytest.raises(RuntimeError, match="does not support full module interface"):  # what upstream raises
        rbm(to_gpu(np.zeros((1, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"expected visible units \(N, 4\), got \(1, 3\)"):
        rbm.calcCDGrad(to_gpu(np.zeros((1, 3), np.float32)))
    h = rbm.hiddenFromVisible(to_gpu(np.ones((5, 4), np.float32))).get()
    assert h.shape == (5, 2) and set(np.unique(h)) <= {0.0, 1.0}
    assert rbm.visibleFromHidden(to_gpu(h)).shape == (5, 4)


def test_samples_are_device_arrays_drawn_from_the_backend_generator():
    from PuzzleLib.Backend import gpuarray
    rbm = RBM(4, 3, rng=np.random.RandomState(0))
    rbm.rng = None  # the default: the backend's generator (np.random on the CPU)
    v = to_gpu(np.ones((5, 4), np.float32))
    gpuarray.xp.random.seed(3)
    h = rbm.hiddenFromVisible(v)
    assert isinstance(h, gpuarray.GPUArray) and h.dtype == np.float32
    gpuarray.xp.random.seed(3)
    np.testing.assert_array_equal(rbm.hiddenFromVisible(v).get(), h.get())  # seeded: the same draws
    with pytest.raises(ModuleError, match=r"rng must have a random\(size\) method"):
        RBM(4, 3, rng=object())


EMULATED = getattr(__import__("PuzzleLib.Backend.gpuarray", fromlist=["xp"]).xp, "__version__", "") == "emulated"


@pytest.mark.skipif(not EMULATED, reason="counts device->host transfers of the CuPy stand-in: run with "
                                         "python -m tests.Backend.cudaemu")
@pytest.mark.parametrize("method", ["calcCDGrad", "calcPCDGrad"])
def test_training_step_stays_on_the_device(method):
    """A training step (statistics and update) makes no device->host transfer, and the default
    generator is the device's: numpy's global generator is not advanced by the sampling."""
    from PuzzleLib.Backend import gpuarray
    from PuzzleLib.Optimizers import MomentumSGD
    from tests.Backend.cudaemu import countTransfers
    bs = 4
    rbm = RBM(6, 3)
    optimizer = MomentumSGD(learnRate=0.01, momRate=0.5)
    optimizer.setupOn(rbm, useGlobalState=True)
    X = to_gpu((np.random.RandomState(0).rand(6 * bs, 6) > 0.5).astype(np.float32))

    def train(batches):
        for i in range(batches):
            getattr(rbm, method)(X[i * bs:(i + 1) * bs])
            optimizer.update()

    seen = {}
    hostState = np.random.get_state()[1].copy()
    for batches in (2, 6, 2, 6):
        with countTransfers() as transfers:
            train(batches)
        seen[batches] = transfers
    assert seen[6] == seen[2] == []
    np.testing.assert_array_equal(np.random.get_state()[1], hostState)
    assert gpuarray.isDeviceArray(rbm.vars["W"].grad)
