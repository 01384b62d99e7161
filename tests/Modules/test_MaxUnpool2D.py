import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Errors import BlueprintError
from PuzzleLib.Modules import Conv2D, Linear, MaxPool2D, MaxUnpool2D, ModuleError
from tests.gradcheck import checkModule

GEOMETRIES = [(2, 2, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 0)), (3, 3, 1)]


def unpoolRef(y, x, size, stride, pad):
    """Loops: each pooled value added at the position of the first maximum of its window."""
    out = np.zeros(x.shape)
    N, C, H, W = x.shape
    for n in range(N):
        for c in range(C):
            for i in range(y.shape[2]):
                for j in range(y.shape[3]):
                    h0, w0 = i * stride[0] - pad[0], j * stride[1] - pad[1]
                    best, where = -np.inf, None
                    for a in range(max(h0, 0), min(h0 + size[0], H)):
                        for b in range(max(w0, 0), min(w0 + size[1], W)):
                            if x[n, c, a, b] > best:
                                best, where = x[n, c, a, b], (a, b)
                    out[n, c][where] += y[n, c, i, j]
    return out


@pytest.mark.parametrize("size,stride,pad", GEOMETRIES)
def test_values_match_loops(size, stride, pad):
    pool = MaxPool2D(size, stride, pad, useMask=True)
    x = np.random.randn(2, 3, 5, 6).astype(np.float32)
    pooled = pool(to_gpu(x))
    y = np.random.randn(*pooled.shape).astype(np.float32)
    unpool = MaxUnpool2D(pool)
    out = unpool(to_gpu(y)).get()
    assert out.shape == x.shape and out.dtype == np.float32
    assert unpool.dataShapeFrom(pooled.shape) == x.shape
    np.testing.assert_allclose(out, unpoolRef(y, x, pool.size, pool.stride, pool.pad), rtol=1e-6)


def test_pool_then_unpool_keeps_the_maxima():
    pool = MaxPool2D(useMask=True)
    x = np.array([[[[1, 2, 0, 5], [4, 3, 1, 1]]]], np.float32)
    out = MaxUnpool2D(pool)(pool(to_gpu(x))).get()
    np.testing.assert_array_equal(out, [[[[0, 0, 0, 5], [4, 0, 0, 0]]]])


@pytest.mark.parametrize("size,stride,pad", GEOMETRIES)
def test_gradients(size, stride, pad):
    pool = MaxPool2D(size, stride, pad, useMask=True)
    pooled = pool(to_gpu(np.random.randn(1, 2, 5, 4).astype(np.float32)))
    checkModule(MaxUnpool2D(pool), np.random.randn(*pooled.shape))
    # and through the pool: the gradient of unpool(pool(x)) with respect to x
    checkModule(Sequential().append(pool).append(MaxUnpool2D(pool)), np.random.randn(2, 1, 4, 5))


def test_errors():
    with pytest.raises(ModuleError, match=r"MaxUnpool2D 'u'.*must be a MaxPool2D module, got Linear"):
        MaxUnpool2D(Linear(2, 2), name="u")
    pool = MaxPool2D(name="p", useMask=True)
    unpool = MaxUnpool2D(pool, name="u")
    with pytest.raises(ModuleError, match=r"MaxUnpool2D 'u'.*MaxPool2D 'p' has not run forward"):
        unpool(to_gpu(np.zeros((1, 1, 2, 2), np.float32)))
    pool(to_gpu(np.zeros((1, 1, 4, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"MaxUnpool2D 'u'.*MaxPool2D 'p'.*\(1, 1, 2, 2\), got \(1, 1, 3, 2\)"):
        unpool(to_gpu(np.zeros((1, 1, 3, 2), np.float32)))
    with pytest.raises(ModuleError, match=r"MaxUnpool2D 'u'.*4-d.*\(4, 4\)"):
        unpool(to_gpu(np.zeros((4, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"MaxUnpool2D 'u'.*dtype float32, got float64"):
        unpool(to_gpu(np.zeros((1, 1, 2, 2), np.float64)))


def _net():
    pool = MaxPool2D(useMask=True)
    return Sequential().append(Conv2D(1, 2, 3, pad=1)).append(pool).append(MaxUnpool2D(pool))


def test_blueprint_is_refused_but_parameters_save():
    net = _net()
    with pytest.raises(BlueprintError, match=r"MaxUnpool2D '2'.*takes a module.*cannot describe"):
        net.save(withBlueprint=True)
    with pytest.raises(BlueprintError, match=r"MaxUnpool2D could not be built.*must be a MaxPool2D module, got dict"):
        Blueprint.build({"classname": "MaxUnpool2D", "scheme": {"maxpool2d": {"classname": "MaxPool2D"}}})
    x = to_gpu(np.random.randn(2, 1, 4, 4).astype(np.float32))
    again = _net().load(net.save())
    np.testing.assert_array_equal(again(x).get(), net(x).get())
    assert "maxpool2d=MaxPool2D" in str(net[2])


def test_trains_through_a_trainer_with_a_short_last_batch():
    # the Trainer reuses buffers and resets modules between batches; the last batch (2 rows) is short
    from PuzzleLib.Cost import MSE
    from PuzzleLib.Handlers import Trainer
    from PuzzleLib.Modules import Flatten, LCN
    from PuzzleLib.Optimizers import Adam
    pool = MaxPool2D(useMask=True)
    net = Sequential().append(Conv2D(1, 4, 3, pad=1)).append(LCN(3, alpha=1.0)).append(pool)
    net.append(MaxUnpool2D(pool)).append(Flatten()).append(Linear(4 * 8 * 8, 1))
    x = np.random.randn(50, 1, 8, 8).astype(np.float32)
    y = x.reshape(50, -1)[:, :1].copy()
    opt = Adam(alpha=1e-2)
    opt.setupOn(net, useGlobalState=True)
    cost = MSE()
    trainer = Trainer(net, cost, opt, batchsize=16)
    errors = []
    for _ in range(4):
        trainer.trainFromHost(x, y)
        errors.append(cost.getMeanError())
    assert np.all(np.isfinite(errors)) and errors[-1] < 0.8 * errors[0]


def test_refused_shape_leaves_the_last_batch_for_backward():
    pool = MaxPool2D(useMask=True)
    unpool = MaxUnpool2D(pool)
    unpool(pool(to_gpu(np.random.randn(1, 2, 4, 4).astype(np.float32))))
    with pytest.raises(ModuleError, match="last output"):
        unpool(to_gpu(np.zeros((1, 3, 2, 2), np.float32)))
    assert unpool.backward(to_gpu(np.ones((1, 2, 4, 4), np.float32))).shape == (1, 2, 2, 2)


def test_a_pool_built_without_a_mask_is_switched_to_keep_one():
    pool = MaxPool2D()
    assert pool.useMask is False
    unpool = MaxUnpool2D(pool)
    assert pool.useMask is True
    x = np.array([[[[1.0, 5.0, 2.0, 0.0],
                    [3.0, 4.0, 7.0, 1.0]]]], np.float32)
    pooled = pool(to_gpu(x))
    np.testing.assert_array_equal(pool.mask.get(), [[[[1, 6]]]])  # flat indices of 5 and 7 in the 2x4 plane
    out = unpool(to_gpu(np.array([[[[10.0, 20.0]]]], np.float32))).get()
    np.testing.assert_array_equal(out, [[[[0.0, 10.0, 0.0, 0.0], [0.0, 0.0, 20.0, 0.0]]]])
    assert pooled.shape == (1, 1, 1, 2)


def test_a_pool_that_ran_before_it_kept_a_mask_is_named_in_the_error():
    pool = MaxPool2D(name="p")
    pool(to_gpu(np.zeros((1, 1, 4, 4), np.float32)))
    unpool = MaxUnpool2D(pool, name="u")
    with pytest.raises(ModuleError, match=r"MaxUnpool2D 'u': its MaxPool2D 'p' last ran forward without keeping a mask"):
        unpool(to_gpu(np.zeros((1, 1, 2, 2), np.float32)))
    pool(to_gpu(np.zeros((1, 1, 4, 4), np.float32)))
    assert unpool(to_gpu(np.ones((1, 1, 2, 2), np.float32))).shape == (1, 1, 4, 4)
