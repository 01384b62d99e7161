import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Models.Nets import loadLeNet, loadResNet
from tests.gradcheck import checkModule


@pytest.mark.parametrize("batchNorm", [False, True])
def test_lenet_shapes_and_gradients(batchNorm):
    net = loadLeNet(inmaps=2, insize=4, maps=(2, 3), hidden=4, classes=3, batchNorm=batchNorm)
    assert isinstance(net, Sequential)
    assert net.dataShapeFrom((5, 2, 4, 4)) == (5, 3)
    analytic, _ = checkModule(net, np.random.randn(3, 2, 4, 4), rtol=1e-4, atol=1e-6)
    assert {"conv1.W", "conv2.b", "fc1.W", "fc2.b"} <= set(analytic)
    assert ("bn1.scale" in analytic) == batchNorm


def test_lenet_digits_size_and_file_round_trip():
    net = loadLeNet(insize=8)
    x = to_gpu(np.random.rand(4, 1, 8, 8).astype(np.float32))
    y = net(x).get()
    assert y.shape == (4, 10)
    same = loadLeNet(modelpath=net.save(), insize=8)
    np.testing.assert_array_equal(same(x).get(), y)


def test_resnet_shapes_gradients_and_blueprint():
    net = loadResNet(inmaps=1, insize=4, maps=(2, 3), blocks=1, classes=3)
    assert isinstance(net, Sequential)
    analytic, _ = checkModule(net, np.random.randn(2, 1, 4, 4), rtol=1e-4, atol=1e-6)
    assert {"stem.W", "block1_1.conv1.W", "block2_1.proj.W", "block2_1.projbn.scale", "fc.W"} <= set(analytic)

    net = loadResNet(insize=8, maps=(4, 8), blocks=2)
    net.evalMode()
    x = to_gpu(np.random.rand(2, 1, 8, 8).astype(np.float32))
    y = net(x).get()
    rebuilt = Blueprint.load(net.save(withBlueprint=True))
    rebuilt.evalMode()
    np.testing.assert_allclose(rebuilt(x).get(), y, rtol=1e-6)


def test_residual_adds_the_input():
    from PuzzleLib.Models.Nets.ResNet import residualBlock
    block = residualBlock(2, 2)
    for name in ("conv1", "conv2"):
        block.getByName(name).vars["W"].data.fill(0)
    x = np.abs(np.random.randn(3, 2, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(block(to_gpu(x)).get(), x, rtol=1e-6)


@pytest.mark.parametrize("builder,kwargs,match", [
    (loadLeNet, dict(insize=10), "divisible by 4"),
    (loadLeNet, dict(size=4), "odd"),
    (loadLeNet, dict(maps=(3,)), "two channel counts"),
    (loadResNet, dict(insize=6, maps=(2, 4, 8)), "divisible by 4"),
    (loadResNet, dict(maps=()), "non-empty"),
    (loadResNet, dict(blocks=0), "blocks must be a positive"),
])
def test_bad_arguments(builder, kwargs, match):
    with pytest.raises(ModuleError, match=builder.__name__ + ".*" + match):
        builder(**kwargs)


def test_float64_net_rebuilt_from_its_blueprint_computes_in_float64():
    """A net trained after calcMode(float64) and saved with its blueprint came back computing in
    float32: its parameters were rounded on load and float64 data was refused."""
    net = loadResNet(insize=4, maps=(2, 3), classes=3)
    net.calcMode(np.float64)
    net.evalMode()
    x = to_gpu(np.random.rand(2, 1, 4, 4))
    y = net(x).get()
    rebuilt = Blueprint.load(net.save(withBlueprint=True))
    rebuilt.evalMode()
    assert rebuilt.getByName("fc").vars["W"].data.dtype == np.float64
    np.testing.assert_array_equal(rebuilt(x).get(), y)
    assert Blueprint.load(loadLeNet(insize=4).save(withBlueprint=True)).getByName("fc2").vars["W"].data.dtype \
        == np.float32
