import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Conv2D, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._imageref import convRef

GEOMETRIES = [
    # size, stride, pad, dilation, groups
    (3, 1, 0, 1, 1),
    (3, 1, 1, 1, 1),
    ((3, 2), (2, 1), (1, 0), 1, 1),
    (2, 2, 1, 2, 1),
    (3, 1, 1, (2, 1), 2),
    (1, 2, 0, 1, 4),
    (1, 1, 1, 1, 2),
    ((1, 3), 1, (0, 2), 1, 1),
    (2, (3, 4), 0, 1, 1),          # stride larger than the kernel: inputs no window reads
    (2, 1, 3, (2, 1), 2),          # pad larger than the kernel, dilation with groups
]


@pytest.mark.parametrize("size,stride,pad,dilation,groups", GEOMETRIES)
def test_forward_matches_loops(size, stride, pad, dilation, groups):
    mod = Conv2D(4, 8, size, stride=stride, pad=pad, dilation=dilation, groups=groups, initscheme="gaussian")
    mod.vars["b"].data.set(np.random.randn(1, 8, 1, 1).astype(np.float32))
    x = np.random.randn(2, 4, 7, 6).astype(np.float32)
    out = mod(to_gpu(x)).get()
    ref = convRef(x.astype(np.float64), mod.W.get(), mod.b.get(), mod.stride, mod.pad, mod.dilation, groups)
    assert out.shape == ref.shape == mod.dataShapeFrom(x.shape)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("size,stride,pad,dilation,groups", GEOMETRIES)
@pytest.mark.parametrize("useBias", [True, False])
@pytest.mark.parametrize("outmaps", [4, 8])  # stride 1: input gradient by a full convolution (4) or by col2im (8)
def test_gradients(size, stride, pad, dilation, groups, useBias, outmaps):
    mod = Conv2D(4, outmaps, size, stride=stride, pad=pad, dilation=dilation, groups=groups, useBias=useBias,
                 initscheme="gaussian")
    analytic, _ = checkModule(mod, np.random.randn(2, 4, 5, 5))
    assert set(analytic) == {"input0", "W"} | ({"b"} if useBias else set())


def test_gradients_accumulate_with_momentum():
    mod = Conv2D(2, 3, 2, pad=1)
    mod.calcMode(np.float64)
    x = to_gpu(np.random.randn(2, 2, 3, 3))
    g = to_gpu(np.random.randn(*mod.dataShapeFrom(x.shape)))
    mod(x)
    mod.backward(g)
    first = mod.vars["W"].grad.get()
    mod.backward(g, scale=2.0, momentum=1.0)
    np.testing.assert_allclose(mod.vars["W"].grad.get(), 3 * first, rtol=1e-12)


def test_shapes_and_params():
    mod = Conv2D(3, 6, (5, 3), stride=2, pad=(2, 1), groups=3)
    assert mod.W.shape == (6, 1, 5, 3)
    assert mod.b.shape == (1, 6, 1, 1)
    assert mod.dataShapeFrom((4, 3, 9, 9)) == (4, 6, 5, 5)
    assert mod.gradShapeFrom((4, 6, 5, 5)) == (4, 3, 9, 9)
    assert Conv2D(3, 6, 3, useBias=False).vars.keys() == {"W"}
    assert "3 -> 6" in str(mod) and "groups=3" in str(mod)


def test_initscheme_draws_from_numpy_seed():
    np.random.seed(5)
    a = Conv2D(2, 4, 3, initscheme="he").W.get()
    np.random.seed(5)
    b = Conv2D(2, 4, 3, initscheme="he").W.get()
    np.testing.assert_array_equal(a, b)
    assert abs(a.std() - np.sqrt(2.0 / 18)) < 0.15


def test_bad_data_names_module_and_shapes():
    mod = Conv2D(3, 4, 3, name="c1")
    before = mod.W.get()
    with pytest.raises(ModuleError, match=r"Conv2D 'c1'.*4-d data.*\(2, 3, 5\)"):
        mod(to_gpu(np.zeros((2, 3, 5), np.float32)))
    with pytest.raises(ModuleError, match=r"Conv2D 'c1'.*3 maps.*\(2, 2, 5, 5\)"):
        mod(to_gpu(np.zeros((2, 2, 5, 5), np.float32)))
    with pytest.raises(ModuleError, match=r"Conv2D 'c1'.*float32.*float64"):
        mod(to_gpu(np.zeros((2, 3, 5, 5), np.float64)))
    with pytest.raises(ModuleError, match=r"Conv2D 'c1'.*too small.*\(2, 3, 2, 2\)"):
        mod(to_gpu(np.zeros((2, 3, 2, 2), np.float32)))
    mod(to_gpu(np.zeros((2, 3, 5, 5), np.float32)))
    with pytest.raises(ModuleError, match=r"Conv2D 'c1'.*gradient.*\(2, 4, 3, 3\).*\(2, 4, 2, 2\)"):
        mod.backward(to_gpu(np.zeros((2, 4, 2, 2), np.float32)))
    np.testing.assert_array_equal(mod.W.get(), before)


@pytest.mark.parametrize("kwargs,match", [
    (dict(inmaps=3, outmaps=4, size=3, groups=2), "divisible by groups"),
    (dict(inmaps=4, outmaps=4, size=0), "size must be a positive"),
    (dict(inmaps=4, outmaps=4, size=3, pad=-1), "pad must be a non-negative"),
    (dict(inmaps=4, outmaps=4, size=(3, 3, 3)), "size must be an int or 2 ints"),
    (dict(inmaps=4, outmaps=4, size=3, stride=0), "stride"),
    (dict(inmaps=4, outmaps=4, size=3, initscheme="bogus"), "unknown initscheme"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ModuleError, match="Conv2D.*" + match):
        Conv2D(**kwargs)



def test_shared_image_modules_in_a_graph():
    # a module at two nodes keeps each call's state apart (the Graph restores it before backward)
    from PuzzleLib.Containers import Graph
    from PuzzleLib.Modules import Activation, BatchNorm2D, Deconv2D, MaxPool2D
    conv = Conv2D(2, 2, 3, pad=1, initscheme="gaussian", name="conv")
    bn = BatchNorm2D(2, name="bn")
    pool = MaxPool2D(2, 1, name="pool")
    deconv = Deconv2D(2, 2, 2, name="deconv")
    first = conv.node()
    h = deconv.node(pool.node(bn.node(first)))
    h = Activation("tanh", name="act").node(h)
    out = deconv.node(pool.node(bn.node(conv.node(h))))
    net = Graph(inputs=first, outputs=out)
    analytic, _ = checkModule(net, np.random.randn(2, 2, 4, 4), rtol=1e-4, atol=1e-6)
    assert {"input0", "conv.W", "bn.scale", "deconv.W"} <= set(analytic)


@pytest.mark.parametrize("cls", ["Conv2D", "Deconv2D"])
def test_calcMode_back_lets_go_of_the_other_dtypes_buffers(cls):
    from PuzzleLib.Modules import Deconv2D
    from tests.Modules._imageref import heldBytes
    mod = (Conv2D if cls == "Conv2D" else Deconv2D)(2, 3, 3, stride=2, pad=1)
    mod.calcMode(np.float64)
    y = mod(to_gpu(np.random.randn(2, 2, 5, 5)))
    mod.backward(to_gpu(np.ones(y.shape)))
    mod.calcMode(np.float32)
    assert heldBytes(mod, np.float64) == 0


@pytest.mark.parametrize("stride", [1, 2])
def test_gradients_batch_of_one_odd_sizes(stride):
    checkModule(Conv2D(3, 2, (3, 2), stride=stride, pad=(1, 0), initscheme="gaussian"), np.random.randn(1, 3, 5, 3))


@pytest.mark.parametrize("cls", ["Conv2D", "Deconv2D"])
def test_groups_give_each_group_convolved_alone(cls):
    # the grouped product (one batched call over (G, ...) views) against G ungrouped modules, one per group
    from PuzzleLib.Modules import Deconv2D
    make = Conv2D if cls == "Conv2D" else Deconv2D
    G, cin, cout = 3, 2, 4
    mod = make(G * cin, G * cout, 3, stride=2, pad=1, groups=G, initscheme="gaussian")
    mod.vars["b"].data.set(np.random.randn(1, G * cout, 1, 1).astype(np.float32))
    x = np.random.randn(2, G * cin, 7, 6).astype(np.float32)
    out = mod(to_gpu(x)).get()
    g = np.random.randn(*out.shape).astype(np.float32)
    dx = mod.backward(to_gpu(g)).get()
    W, b = mod.W.get(), mod.b.get()
    for k in range(G):
        part = make(cin, cout, 3, stride=2, pad=1)
        rows = slice(k * cout, (k + 1) * cout) if cls == "Conv2D" else slice(k * cin, (k + 1) * cin)
        part.vars["W"].data.set(W[rows])
        part.vars["b"].data.set(b[:, k * cout:(k + 1) * cout])
        pout = part(to_gpu(x[:, k * cin:(k + 1) * cin])).get()
        np.testing.assert_allclose(out[:, k * cout:(k + 1) * cout], pout, rtol=1e-5, atol=1e-5)
        pdx = part.backward(to_gpu(np.ascontiguousarray(g[:, k * cout:(k + 1) * cout]))).get()
        np.testing.assert_allclose(dx[:, k * cin:(k + 1) * cin], pdx, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(mod.vars["W"].grad.get()[rows], part.vars["W"].grad.get(), rtol=1e-5, atol=1e-5)


@pytest.fixture
def noKeptColumns(monkeypatch):
    """A fresh workspace (nothing from other tests in its slots) with no budget for kept columns."""
    from PuzzleLib.Modules import _conv
    ws = _conv._Workspace(colsBudget=0)
    monkeypatch.setattr(_conv, "workspace", ws)
    return ws


@pytest.mark.parametrize("size,stride,pad,dilation,groups", GEOMETRIES[:6])
def test_columns_gathered_again_over_budget_give_the_same_numbers(noKeptColumns, size, stride, pad, dilation,
                                                                   groups):
    # over the budget a layer keeps no columns and gathers them again in backward: the same copy of
    # the same input, so the same numbers to the bit
    x = np.random.randn(2, 4, 7, 6).astype(np.float32)
    results = []
    for budget in (0, 1 << 30):
        noKeptColumns.colsBudget = budget
        np.random.seed(5)
        mod = Conv2D(4, 8, size, stride=stride, pad=pad, dilation=dilation, groups=groups, initscheme="gaussian")
        y = mod(to_gpu(x))
        assert (mod._colsm is None) == (budget == 0)
        dx = mod.backward(to_gpu(np.cos(np.arange(y.size, dtype=np.float32)).reshape(y.shape)))
        results.append((y.get(), dx.get(), mod.vars["W"].grad.get(), mod.vars["b"].grad.get()))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    noKeptColumns.colsBudget = 0
    checkModule(Conv2D(4, 6, size, stride=stride, pad=pad, dilation=dilation, groups=2, initscheme="gaussian"),
                np.random.randn(2, 4, 7, 6))


def _privateBytes(mod):
    """Bytes of the arrays a conv module holds itself, besides its output and input gradient."""
    arrays = []
    for key in ("_bufs", "_imageBufs", "_zeroBufs"):
        arrays += list(mod.__dict__.get(key, {}).values())
    arrays += [pair[0] for k, pair in mod._outBufs.items() if k[0] not in ("data", "grad")]
    bases = {}
    for a in arrays:
        a = np.asarray(a)
        base = a.base if a.base is not None else a
        bases[id(base)] = base.nbytes
    return sum(bases.values())


@pytest.mark.parametrize("budget", [0, 1 << 20])
def test_resnet_conv_buffers_are_shared_and_bounded(noKeptColumns, budget, monkeypatch):
    # issue 20 (4): every conv layer used to keep its own im2col columns (K x its input) and scratch per
    # batch shape, summed over the layers; now the scratch is one workspace sized by the largest layer,
    # and the columns layers keep from forward to backward stay within a budget. The im2col path's
    # buffers: the Winograd path's are checked in test_winograd.py
    from PuzzleLib.Modules import _winograd
    monkeypatch.setattr(_winograd, "enabled", False)
    from PuzzleLib.Models.Nets.ResNet import loadResNet
    from PuzzleLib.Modules._conv import ConvND, prod
    from PuzzleLib.Optimizers import MomentumSGD
    from PuzzleLib.Handlers import Trainer
    from PuzzleLib.Cost import CrossEntropy
    noKeptColumns.colsBudget = budget
    np.random.seed(0)
    net = loadResNet(inmaps=3, insize=16, maps=(8, 16, 32), blocks=2)
    opt = MomentumSGD(learnRate=1e-2)
    opt.setupOn(net)
    N = 16
    x = np.random.randn(2 * N, 3, 16, 16).astype(np.float32)
    labels = np.random.randint(0, 10, 2 * N).astype(np.int32)
    Trainer(net, CrossEntropy(), opt, batchsize=N).train(to_gpu(x), to_gpu(labels))

    convs = net.getAllByType(ConvND)
    assert len(convs) == 15
    colsNeed, imageNeed = [], []
    for conv in convs:
        shape = next(shape for shape in conv._geos if shape[0] == N)    # the data shape it saw
        geo = conv._geometry(shape)
        C = shape[1]
        colsNeed.append(C * prod(conv.size) * N * geo.gridSize * 4)
        imageNeed.append(geo.bufferSize(N * max(C, conv.outmaps)) * 4)
        kept = sum(noKeptColumns._kept.get(id(conv), {}).values())
        # what a layer holds of its own: parameter-sized scratch and the columns it may keep
        assert _privateBytes(conv) <= kept + 4 * conv.W.nbytes + 1024, conv
        assert kept <= colsNeed[-1]
    assert noKeptColumns.keptBytes() <= budget
    slots = {name: buf.nbytes for (name, dtype), buf in noKeptColumns._slots.items() if dtype == np.float32}
    # one buffer per slot, sized by the largest layer (growth by half at most past it)
    assert slots["cols"] <= 1.5 * max(colsNeed) and slots["bwdcols"] <= 1.5 * max(colsNeed)
    assert slots["image"] <= 1.5 * max(max(imageNeed), max(colsNeed))
    old = sum(colsNeed)
    assert sum(slots.values()) + noKeptColumns.keptBytes() < old    # the old layout held at least the columns


def test_each_thread_has_workspace_slots_of_its_own(noKeptColumns):
    # two threads running convolutions at once (a server's training and a prediction) must not
    # write into each other's scratch
    import threading
    x = np.random.randn(2, 3, 6, 6).astype(np.float32)
    mod = Conv2D(3, 4, 3, pad=1, initscheme="gaussian")
    expected = mod(to_gpu(x)).get()
    mainSlot = noKeptColumns.slot("cols", 1, np.float32)
    seen = {}

    def run():
        other = Conv2D(3, 4, 3, pad=1)
        other.vars["W"].data.set(mod.W.get())
        seen["out"] = other(to_gpu(x)).get()
        seen["slot"] = noKeptColumns.slot("cols", 1, np.float32)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert seen["slot"] is not mainSlot and noKeptColumns.slot("cols", 1, np.float32) is mainSlot
    np.testing.assert_array_equal(seen["out"], expected)


# ---- per-sample columns (a first layer on images, CPU): the grid path's numbers ----

_CPU = __import__("PuzzleLib.Backend.gpuarray", fromlist=["backendName"]).backendName == "cpu"
PER_SAMPLE = [g for g in GEOMETRIES if g[4] == 1]


@pytest.fixture
def perSampleEverywhere(monkeypatch):
    """Every groups=1 Conv2D with inmaps * taps <= 576 lays its columns out per sample (small test shapes too)."""
    from PuzzleLib.Modules import _conv
    monkeypatch.setattr(_conv, "perSampleMinPositions", 0)
    monkeypatch.setattr(_conv, "perSampleMinGradPositions", 0)
    monkeypatch.setattr(_conv, "perSampleMaxRows", 576)  # restored after a test that turns it off
    return _conv


@pytest.mark.skipif(not _CPU, reason="the per-sample layout is the CPU backend's")
def test_narrow_layers_take_per_sample_columns():
    from PuzzleLib.Modules import _conv
    first = Conv2D(3, 32, 3, pad=1)
    first(to_gpu(np.random.randn(2, 3, 16, 16).astype(np.float32)))   # 3 x 9 rows, 256 positions
    assert first._perSample
    lenet = Conv2D(16, 32, 3, pad=1)
    lenet(to_gpu(np.random.randn(2, 16, 4, 4).astype(np.float32)))    # 144 rows, 16 positions
    assert lenet._perSample
    strided = Conv2D(64, 32, 3, stride=2, pad=1)
    strided(to_gpu(np.random.randn(2, 64, 16, 16).astype(np.float32)))  # 576 rows, 64 positions
    assert strided._perSample
    wide = Conv2D(65, 16, 3, stride=2, pad=1)
    wide(to_gpu(np.random.randn(2, 65, 16, 16).astype(np.float32)))   # 585 rows: the grid
    assert not wide._perSample and _conv.perSampleMaxRows < 585
    small = Conv2D(3, 16, 3, pad=1)
    small(to_gpu(np.random.randn(2, 3, 3, 3).astype(np.float32)))     # 9 positions: the grid
    assert not small._perSample and _conv.perSampleMinPositions > 9


@pytest.mark.skipif(not _CPU, reason="the per-sample layout is the CPU backend's")
@pytest.mark.parametrize("size,stride,pad,dilation,groups", PER_SAMPLE)
@pytest.mark.parametrize("budget", [0, 1 << 30])
def test_per_sample_columns_give_the_grid_numbers(perSampleEverywhere, noKeptColumns, size, stride, pad, dilation,
                                                  groups, budget):
    # the same sums of products, in the order BLAS's kernels take for each layout: float32 rounding
    # apart; over the budget the columns are gathered again in backward
    noKeptColumns.colsBudget = budget
    x = np.random.randn(3, 4, 7, 6).astype(np.float32)
    results = []
    for rows in (144, 0):
        perSampleEverywhere.perSampleMaxRows = rows
        np.random.seed(5)
        mod = Conv2D(4, 8, size, stride=stride, pad=pad, dilation=dilation, initscheme="gaussian")
        mod.vars["b"].data.set(np.random.randn(1, 8, 1, 1).astype(np.float32))
        y = mod(to_gpu(x))
        assert mod._perSample == (rows == 144)
        assert (mod._colsm is None) == (budget == 0)
        dx = mod.backward(to_gpu(np.cos(np.arange(y.size, dtype=np.float32)).reshape(y.shape)))
        results.append((y.get(), dx.get(), mod.vars["W"].grad.get(), mod.vars["b"].grad.get()))
    (y1, dx1, dW1, db1), (y0, dx0, dW0, db0) = results
    np.testing.assert_allclose(y1, y0, rtol=1e-5, atol=1e-5 * np.abs(y0).max())
    np.testing.assert_allclose(dx1, dx0, rtol=1e-5, atol=1e-5 * np.abs(dx0).max())
    np.testing.assert_allclose(dW1, dW0, rtol=1e-5, atol=1e-5 * np.abs(dW0).max())
    np.testing.assert_allclose(db1, db0, rtol=1e-5, atol=1e-5 * np.abs(db0).max())


@pytest.mark.skipif(not _CPU, reason="the per-sample layout is the CPU backend's")
@pytest.mark.parametrize("size,stride,pad,dilation,groups", PER_SAMPLE)
@pytest.mark.parametrize("budget", [0, 1 << 30])
def test_per_sample_columns_spread_over_threads_give_the_same_bits(perSampleEverywhere, noKeptColumns, monkeypatch,
                                                                   size, stride, pad, dilation, groups, budget):
    # the samples in parts on Backend._jit's threads (each part zeroes, fills and reads back its own
    # samples' padded planes) against one call for the batch: each sample's numbers are its own; the
    # weight gradient, summed per group of samples there, within float32 rounding
    noKeptColumns.colsBudget = budget
    x = np.random.randn(9, 4, 7, 6).astype(np.float32)
    results = []
    for split in (1 << 40, 0):
        monkeypatch.setattr(perSampleEverywhere, "perSampleSplitSize", split)
        np.random.seed(5)
        mod = Conv2D(4, 8, size, stride=stride, pad=pad, dilation=dilation, initscheme="gaussian")
        mod.vars["b"].data.set(np.random.randn(1, 8, 1, 1).astype(np.float32))
        y = mod(to_gpu(x))
        assert mod._perSample
        dx = mod.backward(to_gpu(np.cos(np.arange(y.size, dtype=np.float32)).reshape(y.shape)))
        results.append((y.get(), dx.get(), mod.vars["W"].grad.get(), mod.vars["b"].grad.get()))
    (y1, dx1, dW1, db1), (y0, dx0, dW0, db0) = results
    for one, split in ((y1, y0), (dx1, dx0), (db1, db0)):
        np.testing.assert_array_equal(one, split)
    np.testing.assert_allclose(dW0, dW1, rtol=1e-5, atol=1e-6 * np.abs(dW1).max())


@pytest.mark.skipif(not _CPU, reason="the per-sample layout is the CPU backend's")
def test_per_sample_weight_gradient_groups_do_not_depend_on_the_threads(perSampleEverywhere, monkeypatch):
    from PuzzleLib.Backend import _jit
    monkeypatch.setattr(perSampleEverywhere, "perSampleSplitSize", 0)
    x = to_gpu(np.random.randn(11, 4, 7, 6).astype(np.float32))
    grads = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(_jit, "THREADS", threads)
        np.random.seed(5)
        mod = Conv2D(4, 8, 3, stride=2, pad=1, initscheme="gaussian")
        y = mod(x)
        assert mod._perSample
        mod.backward(to_gpu(np.cos(np.arange(y.size, dtype=np.float32)).reshape(y.shape)))
        grads.append(mod.vars["W"].grad.get())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], grads[2])


@pytest.mark.skipif(not _CPU, reason="the per-sample layout is the CPU backend's")
@pytest.mark.parametrize("size,stride,pad,dilation,groups", PER_SAMPLE)
def test_per_sample_columns_gradients(perSampleEverywhere, size, stride, pad, dilation, groups):
    mod = Conv2D(4, 5, size, stride=stride, pad=pad, dilation=dilation, initscheme="gaussian")
    analytic, _ = checkModule(mod, np.random.randn(2, 4, 5, 5))
    assert mod._perSample and set(analytic) == {"input0", "W", "b"}


@pytest.mark.skipif(not _CPU, reason="the per-sample layout is the CPU backend's")
def test_per_sample_columns_accumulate_with_momentum(perSampleEverywhere):
    mod = Conv2D(2, 3, 3, pad=1)
    mod.calcMode(np.float64)
    x = to_gpu(np.random.randn(2, 2, 4, 4))
    g = to_gpu(np.random.randn(*mod.dataShapeFrom(x.shape)))
    mod(x)
    assert mod._perSample
    mod.backward(g)
    first = mod.vars["W"].grad.get(), mod.vars["b"].grad.get()
    mod.backward(g, scale=2.0, momentum=1.0)
    np.testing.assert_allclose(mod.vars["W"].grad.get(), 3 * first[0], rtol=1e-12)
    np.testing.assert_allclose(mod.vars["b"].grad.get(), 3 * first[1], rtol=1e-12)
