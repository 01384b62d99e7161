"""PuzzleLib 1.0's model builders: names, parameter shapes and counts (worked out by hand from the
layer tables of ../shared/docs/puzzlelib-api-packages.md), forward passes at small sizes, and files
through Blueprint and in upstream's flat layout (assumeUniqueNames)."""
import numpy as np
import pytest

from PuzzleLib import Blueprint, Config
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Models.Nets import (loadCOCO, loadInceptionBN, loadInceptionV3, loadLeNet, loadMiniYolo, loadMPI,
                                   loadNiNImageNet, loadResNet, loadUNet, loadVGG, loadW2L)
from PuzzleLib.Models.Nets.SentiNet import buildNet
from PuzzleLib.Models.Nets._fork import fork, split
from PuzzleLib.Containers import Parallel, Sequential
from PuzzleLib.Modules import Concat, Conv2D, MaxPool2D, ToList
from tests.gradcheck import checkModule


@pytest.fixture(autouse=True)
def _noGradientBuffers(monkeypatch):
    # the nets are only built, counted and run forward: without gradient buffers a 143M-parameter
    # VGG costs half the memory and no zero-filling
    monkeypatch.setattr(Config, "globalEvalMode", True)


def conv(i, o, kh, kw=None, bias=True):
    return i * o * kh * (kh if kw is None else kw) + (o if bias else 0)


def unit(i, o, kh, kw=None):  # conv without bias + BatchNorm's scale and bias
    return conv(i, o, kh, kw, bias=False) + 2 * o


def lin(i, o):
    return i * o + o


def shapes(net):
    return {name: var.data.shape for var, names in net.getVarTable().items() for name in names}


def fill(net, seed=0):
    """Small varied weights (the builders leave them uninitialised by default): a random pattern of
    997 values repeated, cheap for nets of tens of millions of parameters."""
    pattern = np.random.RandomState(seed).rand(997).astype(np.float32) - 0.5
    for var in net.getVarTable():
        fan = max(var.data.size // max(var.data.shape[0], 1), 1)
        var.data.set(np.resize(pattern, var.data.shape) * np.float32(2.0 / np.sqrt(fan)))
    net.evalMode()
    return net


def run(net, shape):
    out = net(to_gpu(np.random.RandomState(1).rand(*shape).astype(np.float32))).get()
    assert np.isfinite(out).all()
    return out


def test_lenet_upstream_layout():
    net = loadLeNet(None, initscheme=None)
    assert net.name == "lenet-5-like" and [m.name for m in net] == [str(i) for i in range(10)]
    assert shapes(net) == {"0.W": (16, 1, 3, 3), "0.b": (1, 16, 1, 1), "3.W": (32, 16, 4, 4), "3.b": (1, 32, 1, 1),
                           "7.W": (800, 1024), "7.b": (1024,), "9.W": (1024, 10), "9.b": (10,)}
    assert net.numOfParams() == conv(1, 16, 3) + conv(16, 32, 4) + lin(800, 1024) + lin(1024, 10) == 838858
    x = to_gpu(np.random.rand(2, 1, 28, 28).astype(np.float32))
    y = net(x).get()
    again = Blueprint.load(net.save(withBlueprint=True))
    np.testing.assert_array_equal(again(x).get(), y)
    np.testing.assert_array_equal(loadLeNet(net.save(), initscheme=None)(x).get(), y)


@pytest.mark.parametrize("layers, total", [("11", 132863336), ("16", 138357544), ("19", 143667240)])
def test_vgg_counts_and_names(layers, total):
    net = loadVGG(None, layers)
    assert net.numOfParams() == total  # the published VGG sizes
    assert net.name == "VGG_ILSVRC_%s_layers" % layers
    assert net.dataShapeFrom((1, 3, 224, 224)) == (1, 1000)
    s = shapes(net)
    assert s["conv5_%d.W" % {"11": 2, "16": 3, "19": 4}[layers]] == (512, 512, 3, 3) and s["fc6.W"] == (25088, 4096)
    assert {"pool5", "relu7", "fc8"} <= set(net.modules)


def test_vgg_body_forward_and_blueprint():
    net = fill(loadVGG(None, "11", poolmode="avg", withLinear=False))
    y = run(net, (2, 3, 32, 32))
    assert y.shape == (2, 512, 1, 1)
    rebuilt = Blueprint.load(net.save(withBlueprint=True, compress=None))
    rebuilt.evalMode()
    np.testing.assert_allclose(run(rebuilt, (2, 3, 32, 32)), y, rtol=1e-6)
    with pytest.raises(ModuleError, match="Unsupported VGG layers mode"):
        loadVGG(None, "13")
    with pytest.raises(ModuleError, match="poolmode"):
        loadVGG(None, "11", poolmode="median")


def test_nin():
    net = loadNiNImageNet(None)
    expected = (conv(3, 96, 11) + 2 * conv(96, 96, 1) + conv(96, 256, 5) + 2 * conv(256, 256, 1) +
                conv(256, 384, 3) + 2 * conv(384, 384, 1) + conv(384, 1024, 3) + conv(1024, 1024, 1) +
                conv(1024, 1000, 1))
    assert net.numOfParams() == expected
    assert net.dataShapeFrom((2, 3, 224, 224)) == (2, 1000)
    assert [m.name for m in net if m.name.startswith("relu")] == ["relu%d" % i for i in range(12)]
    rebuilt = Blueprint.build(net.getBlueprint())
    assert shapes(rebuilt) == shapes(net)


def _resnetCount(level3, level4):
    def block(inmaps, h, projection):
        return unit(inmaps, h, 1) + unit(h, h, 3) + unit(h, 4 * h, 1) + (unit(inmaps, 4 * h, 1) if projection else 0)
    total = unit(3, 64, 7) + lin(2048, 1000)
    for inmaps, h, rest in ((64, 64, 2), (256, 128, level3), (512, 256, level4), (1024, 512, 2)):
        total += block(inmaps, h, True) + rest * block(4 * h, h, False)
    return total


@pytest.mark.parametrize("layers, level3, level4, published", [("50", 3, 5, 25557032), ("101", 3, 22, 44549160),
                                                                ("152", 7, 35, 60192808)])
def test_resnet_counts_and_names(layers, level3, level4, published):
    net = loadResNet(None, layers)
    assert net.numOfParams() == _resnetCount(level3, level4) == published
    s = shapes(net)
    last3 = "3d" if layers == "50" else "3b%d" % level3
    last4 = "4f" if layers == "50" else "4b%d" % level4
    names = {name.rsplit(".", 2)[-2] for name in s}
    assert {"conv1", "bn_conv1", "res2a_branch1", "bn2a_branch1", "res%s_branch2c" % last3,
            "res%s_branch2a" % last4, "res5c_branch2c", "fc1000"} <= names
    assert "res2b_branch1" not in names
    assert net.dataShapeFrom((1, 3, 224, 224)) == (1, 1000)


def test_resnet50_forward_and_upstream_flat_file(tmp_path):
    net = fill(loadResNet(None, "50"))
    body, head = net[:-4], net[-4:]
    features = run(body, (1, 3, 32, 32))
    assert features.shape == (1, 2048, 1, 1)
    assert run(head, (2, 2048, 7, 7)).shape == (2, 1000)
    net.setAttr("mean", to_gpu(np.full((1, 3, 4, 4), 0.5, np.float32)))

    # upstream's converted files are flat: "ResNet-50.<module name>.<param>"
    path = str(tmp_path / "resnet50.hdf")
    net.save(path, compress=None, assumeUniqueNames=True)
    import h5py
    with h5py.File(path, "r") as f:
        links = set(f["links"])
    assert "ResNet-50.res4f_branch2b.W" in links and "ResNet-50.fc1000.b" in links
    again = loadResNet(path, "50")
    again.evalMode()
    np.testing.assert_allclose(run(again[:-4], (1, 3, 32, 32)), features, rtol=1e-5)
    with pytest.raises(ModuleError, match="layers must be '50', '101' or '152'"):
        loadResNet(None, "34")


def test_inception_bn():
    net = loadInceptionBN(None)
    regular = {"3a": (192, 64, 64, 64, 64, 96, 96, 32), "3b": (256, 64, 64, 96, 64, 96, 96, 64),
               "4a": (576, 224, 64, 96, 96, 128, 128, 128), "4b": (576, 192, 96, 128, 96, 128, 128, 128),
               "4c": (576, 160, 128, 160, 128, 160, 160, 128), "4d": (608, 96, 128, 192, 160, 192, 192, 128),
               "5a": (1056, 352, 192, 320, 160, 224, 224, 128), "5b": (1024, 352, 192, 320, 192, 224, 224, 128)}
    shrink = {"3c": (320, 128, 160, 64, 96, 96), "4e": (608, 128, 192, 192, 256, 256)}
    total = unit(3, 64, 7) + unit(64, 64, 1) + unit(64, 192, 3) + lin(1024, 1000)
    for i, b1, red, b3, dred, d0, d1, proj in regular.values():
        total += unit(i, b1, 1) + unit(i, red, 1) + unit(red, b3, 3) + unit(i, dred, 1) + unit(dred, d0, 3) + \
            unit(d0, d1, 3) + unit(i, proj, 1)
    for i, red, b3, dred, d0, d1 in shrink.values():
        total += unit(i, red, 1) + unit(red, b3, 3) + unit(i, dred, 1) + unit(dred, d0, 3) + unit(d0, d1, 3)
    assert net.numOfParams() == total
    assert net.dataShapeFrom((1, 3, 224, 224)) == (1, 1000)
    assert net.getByName("ch_concat_4e_chconcat") is not None and net.getByName("bn_3c_double_3x3_1") is not None
    fill(net)
    assert run(net[:-4], (1, 3, 32, 32)).shape == (1, 1024, 1, 1)


def test_inception_v3():
    net = loadInceptionV3(None)
    # torchvision's inception_v3 without the auxiliary head has 23 834 568 parameters for 1000 classes
    assert net.numOfParams() == 23834568 + 8 * 2048 + 8
    assert net.dataShapeFrom((1, 3, 299, 299)) == (1, 1008)
    for name in ("conv_4_conv2d", "mixed_10_tower_1_mixed_conv_1_batchnorm", "mixed_7_tower_1_conv_4_relu",
                 "ch_concat_mixed_9_chconcat"):
        assert net.getByName(name) is not None
    # as upstream: the towers of mixed_9 and mixed_10 end in a split, flattened by a ToList before
    # the block's Concat; no other Concat than the blocks' named ones
    concats = [m.name for m in net.getAllByType(Concat)]
    assert len(concats) == 11 and all(n.startswith("ch_concat_mixed") for n in concats)
    for b in ("mixed_9", "mixed_10"):
        i = [m.name for m in net].index("ch_concat_%s_chconcat" % b)
        assert isinstance(net[i - 1], ToList) and isinstance(net[i - 2], Parallel)
        assert isinstance(net[i - 2][1][-1], Parallel) and isinstance(net[i - 2][2][-1], Parallel)
    fill(net)
    assert run(net[:-4], (1, 3, 75, 75)).shape == (1, 2048, 1, 1)


def test_fork_of_split_branches_flattened_by_tolist_gradients(monkeypatch):
    """The mixed_9 pattern at toy size: a branch that ends in a split gives a nested list, which
    the ToList flattens for the Concat; the gradients go back through the nesting."""
    monkeypatch.setattr(Config, "globalEvalMode", False)
    np.random.seed(0)

    def splitBranch(name):
        seq = Sequential().append(Conv2D(2, 3, 1, name=name + "_a"))
        return split(seq, [Sequential().append(Conv2D(3, 2, (1, 3), pad=(0, 1), name=name + "_b")),
                           Sequential().append(Conv2D(3, 1, (3, 1), pad=(1, 0), name=name + "_c"))])

    net = fork(Sequential(), [Sequential().append(Conv2D(2, 2, 1, name="plain")), splitBranch("t"),
                              splitBranch("t1"), Sequential().append(MaxPool2D(3, 1, 1))], "cat", flatten=True)
    assert net.dataShapeFrom((2, 2, 4, 4)) == (2, 2 + 3 + 3 + 2, 4, 4)
    analytic, _ = checkModule(net, np.random.randn(2, 2, 4, 4))
    assert "input0" in analytic
    assert {"plain.W", "t_b.W", "t_c.W", "t1_b.W", "t1_c.b"} <= {".".join(n.split(".")[-2:]) for n in analytic}


def test_unet_nesting_and_forward():
    net = loadUNet(None)
    total = 0
    for k, m in enumerate((64, 128, 256, 512, 1024), start=1):
        total += conv(1 if k == 1 else m // 2, m, 3) + conv(m, m, 3)
    total += conv(1024, 512, 2, bias=False)  # upscore1
    for j in range(6, 10):
        i, o = 2 ** (16 - j), 2 ** (15 - j)
        total += conv(i, o, 3) + conv(o, o, 3)
        total += conv(o, o // 2, 2, bias=False) + conv(o // 2, o // 2, 3) if j < 9 else conv(64, 1, 1)
    assert net.numOfParams() == total
    s = shapes(net)
    assert s["fork_1.block_2.fork_2.block_3.conv_7_1.W"] == (256, 512, 3, 3)
    assert s["fork_1.block_2.fork_2.block_3.fork_3.block_4.fork_4.block_5.upscore1.W"] == (1024, 512, 2, 2)
    assert s["conv_9_1.W"] == (64, 128, 3, 3) and "score.W" in s
    fill(net)
    out = run(net, (1, 1, 16, 16))
    assert out.shape == (1, 1, 16, 16) and ((out > 0) & (out < 1)).all()


def test_mini_yolo():
    net = loadMiniYolo(None, 1470)
    table = [(3, 64, 7), (64, 192, 3), (192, 128, 1), (128, 256, 3), (256, 256, 1), (256, 512, 3)] + \
        [(512, 256, 1), (256, 512, 3)] * 4 + [(512, 512, 1), (512, 1024, 3)] + \
        [(1024, 512, 1), (512, 1024, 3)] * 2 + [(1024, 1024, 3)] * 4
    assert net.numOfParams() == sum(conv(*c) for c in table) + lin(50176, 512) + lin(512, 4096) + lin(4096, 1470)
    assert net.dataShapeFrom((1, 3, 448, 448)) == (1, 1470)
    assert {"conv2_pool", "conv6_pool", "conv16_pool", "fc_relu25", "fc27"} <= set(net.modules)


def test_w2l():
    net = loadW2L(None, 161, 29, initscheme="none")
    table = [(256, 11)] * 4 + [(384, 13)] * 3 + [(512, 17)] * 3 + [(640, 21)] * 3 + [(768, 25)] * 3 + \
        [(896, 29), (1024, 1)]
    total, inmaps = 0, 161
    for outmaps, size in table:
        total += conv(inmaps, outmaps, 1, size) + 2 * outmaps
        inmaps = outmaps
    assert net.numOfParams() == total + conv(1024, 29, 1, 1)
    assert net.dataShapeFrom((2, 161, 101)) == (2, 29, 51)
    assert net.getByName("conv1d_0_bn").epsilon == pytest.approx(0.001)
    front = fill(loadW2L(None, 4, 5, initscheme="none")[:8])  # blocks conv1d_0 and conv1d_1
    assert run(front, (1, 4, 30)).shape == (1, 256, 15)


def test_openpose_coco_and_mpi():
    coco = loadCOCO(None)
    vgg = conv(3, 64, 3) + conv(64, 64, 3) + conv(64, 128, 3) + conv(128, 128, 3) + conv(128, 256, 3) + \
        3 * conv(256, 256, 3) + conv(256, 512, 3) + conv(512, 512, 3) + conv(512, 256, 3) + conv(256, 128, 3)
    stage1 = sum(3 * conv(128, 128, 3) + conv(128, 512, 1) + conv(512, o, 1) for o in (38, 19))
    stages = 5 * sum(conv(185, 128, 7) + 4 * conv(128, 128, 7) + conv(128, 128, 1) + conv(128, o, 1) for o in (38, 19))
    assert coco.numOfParams() == vgg + stage1 + stages
    assert coco.dataShapeFrom((1, 3, 64, 48)) == (1, 57, 8, 6)
    assert coco.getByName("concat_stage6") is not None and coco.getByName("Mconv7_stage6_L1") is not None
    fill(coco)
    out = run(coco, (1, 3, 16, 16))
    assert out.shape == (1, 57, 2, 2)

    mpi = loadMPI(None)
    vgg = conv(3, 64, 3) + conv(64, 64, 3) + conv(64, 128, 3) + conv(128, 128, 3) + conv(128, 256, 3) + \
        3 * conv(256, 256, 3) + conv(256, 512, 3) + 5 * conv(512, 512, 3) + conv(512, 128, 3)
    stages = conv(128, 512, 1) + conv(512, 71, 1) + \
        5 * (conv(199, 128, 7) + 4 * conv(128, 128, 7) + conv(128, 128, 1) + conv(128, 71, 1))
    assert mpi.numOfParams() == vgg + stages
    assert mpi.dataShapeFrom((1, 3, 32, 40)) == (1, 71, 4, 5)
    assert mpi.getByName("features_in_stage_6") is not None


def test_sentinet():
    class W2V:
        vocab = {"good_ADJ": 0, "film_NOUN": 1}

        def __getitem__(self, word):
            return np.full(6, {"good_ADJ": 1.0, "film_NOUN": 2.0}[word])

    vocabulary = {"<pad>": 0, "good": 1, "film": 2, "bad": 3}
    net = buildNet(vocabulary, (2, 3), W2V(), sentlength=5, embsize=6, wscale=0.25, dim=2, branchMaps=4)
    W = net.getByName("embedder").vars["W"].data.get()
    assert (W[0] == 0).all() and (W[1] == 1).all() and (W[2] == 2).all() and np.abs(W[3]).max() <= 0.25
    assert net.numOfParams() == 4 * 6 + conv(1, 4, 2, 6) + conv(1, 4, 3, 6) + lin(8, 2)
    assert int(net.getAttr("timestamp").get()[0]) > 1.6e9
    net.evalMode()
    x = to_gpu(np.array([[1, 2, 3, 0, 0], [3, 3, 1, 2, 0]], np.int32))
    assert net(x).get().shape == (2, 2)
