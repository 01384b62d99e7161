import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Conv2D, Deconv2D, ModuleError
from tests.gradcheck import checkModule

GEOMETRIES = [
    # size, stride, pad, dilation, postpad, groups
    (3, 1, 0, 1, 0, 1),
    (2, 2, 0, 1, 0, 1),
    (3, 2, 1, 1, 1, 1),
    ((3, 2), (2, 1), (1, 0), (1, 2), (1, 0), 2),
    (2, (3, 4), 0, 1, (2, 3), 2),   # stride larger than the kernel (output positions no tap writes)
]


@pytest.mark.parametrize("size,stride,pad,dilation,postpad,groups", GEOMETRIES)
def test_is_the_adjoint_of_conv(size, stride, pad, dilation, postpad, groups):
    # Deconv(W) applied to y equals the input gradient of Conv(W) for output gradient y
    deconv = Deconv2D(4, 6, size, stride=stride, pad=pad, dilation=dilation, postpad=postpad, groups=groups,
                      useBias=False, initscheme="gaussian")
    conv = Conv2D(6, 4, size, stride=stride, pad=pad, dilation=dilation, groups=groups, useBias=False)
    conv.calcMode(np.float64)
    deconv.calcMode(np.float64)
    conv.vars["W"].data.set(deconv.W.get())
    y = np.random.randn(2, 4, 3, 4)
    out = deconv(to_gpu(y)).get()
    conv(to_gpu(np.zeros(out.shape)))
    np.testing.assert_allclose(out, conv.backward(to_gpu(y)).get(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("size,stride,pad,dilation,postpad,groups", GEOMETRIES)
@pytest.mark.parametrize("useBias", [True, False])
def test_gradients(size, stride, pad, dilation, postpad, groups, useBias):
    mod = Deconv2D(2, 4, size, stride=stride, pad=pad, dilation=dilation, postpad=postpad, groups=groups,
                   useBias=useBias, initscheme="gaussian")
    analytic, _ = checkModule(mod, np.random.randn(2, 2, 3, 3))
    assert set(analytic) == {"input0", "W"} | ({"b"} if useBias else set())


def test_shapes():
    mod = Deconv2D(8, 3, 2, stride=2, groups=1)
    assert mod.W.shape == (8, 3, 2, 2) and mod.b.shape == (1, 3, 1, 1)
    assert mod.dataShapeFrom((5, 8, 4, 4)) == (5, 3, 8, 8)
    assert mod.gradShapeFrom((5, 3, 8, 8)) == (5, 8, 4, 4)
    assert Deconv2D(4, 4, 3, stride=2, pad=1, postpad=1).dataShapeFrom((1, 4, 4, 4)) == (1, 4, 8, 8)
    assert Deconv2D(4, 6, 3, groups=2).W.shape == (4, 3, 3, 3)


def test_errors():
    mod = Deconv2D(2, 3, 3, name="up")
    with pytest.raises(ModuleError, match=r"Deconv2D 'up'.*2 maps.*\(1, 3, 4, 4\)"):
        mod(to_gpu(np.zeros((1, 3, 4, 4), np.float32)))
    with pytest.raises(ModuleError, match=r"Deconv2D.*postpad must be smaller"):
        Deconv2D(2, 3, 3, stride=2, postpad=2)
    with pytest.raises(ModuleError, match=r"Deconv2D.*divisible by groups"):
        Deconv2D(2, 3, 3, groups=2)


def test_image_modules_survive_a_blueprint_round_trip():
    from PuzzleLib import Blueprint
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Modules import AvgPool2D, BatchNorm2D, InstanceNorm2D, MaxPool2D
    net = Sequential()
    net.append(Conv2D(2, 4, (3, 2), stride=(1, 2), pad=1, dilation=(2, 1), groups=2))
    net.append(BatchNorm2D(4, minFactor=0.5))
    net.append(MaxPool2D(3, 1, 1))
    net.append(Deconv2D(4, 2, 3, stride=2, pad=1, postpad=1))
    net.append(AvgPool2D(3, 2, 1, includePad=False))
    net.append(InstanceNorm2D(2, affine=False))
    x = to_gpu(np.random.randn(2, 2, 6, 6).astype(np.float32))
    net(x)  # move the running statistics
    net.evalMode()
    y = net(x).get()
    rebuilt = Blueprint.load(net.save(withBlueprint=True))
    rebuilt.evalMode()
    assert str(rebuilt) == str(net)
    np.testing.assert_allclose(rebuilt(x).get(), y, rtol=1e-6)
