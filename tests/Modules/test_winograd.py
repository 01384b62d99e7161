"""Conv2D's Winograd F(2x2, 3x3) path (PuzzleLib/Modules/_winograd.py) against its im2col path and a
float64 reference of the same float32 inputs; and the im2col path wherever Winograd does not apply
(numba absent, float64, other geometries)."""
import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Conv2D, _winograd
from PuzzleLib.Modules._conv import workspace

numba = pytest.importorskip("numba", reason="the jit extra (numba) is what the Winograd path runs on")
if gpuarray.backendName != "cpu":
    pytest.skip("the Winograd path is the CPU backend's (a GPU keeps its own products)", allow_module_level=True)


@pytest.fixture(autouse=True)
def _smallLayersToo(monkeypatch):
    """The shapes here are small; the size below which a layer keeps im2col is tested on its own."""
    monkeypatch.setattr(_winograd, "minWork", 0)


def test_small_layers_keep_im2col_and_large_ones_take_winograd(monkeypatch):
    monkeypatch.setattr(_winograd, "minWork", 1 << 13)
    small = Conv2D(16, 32, 3, pad=1)          # LeNet's second layer on one sample: 4 tiles x 16 x 32 = 1 << 11
    small(to_gpu(np.random.randn(1, 16, 4, 4).astype(np.float32)))
    assert small._wgTiles is None
    large = Conv2D(16, 32, 3, pad=1)          # the same at batch 32 (1 << 16)
    large(to_gpu(np.random.randn(32, 16, 4, 4).astype(np.float32)))
    assert large._wgTiles == (2, 2)
    narrow = Conv2D(4, 32, 3, pad=1)          # fewer than minMaps input maps: im2col however large
    narrow(to_gpu(np.random.randn(64, 4, 16, 16).astype(np.float32)))
    assert narrow._wgTiles is None


def _run(mod, x, g, winograd, scale=1.0, momentum=0.0, twice=False):
    """Forward and backward with the Winograd path on or off: (y, dx, dW, db, whether it ran)."""
    old = _winograd.enabled
    _winograd.enabled = winograd
    try:
        y = mod(to_gpu(x))
        mod.backward(to_gpu(g))
        if twice:
            mod.backward(to_gpu(g), scale=scale, momentum=momentum)
        db = mod.vars["b"].grad.get() if mod.useBias else None
        return y.get(), mod.grad.get(), mod.vars["W"].grad.get(), db, mod._wgTiles is not None
    finally:
        _winograd.enabled = old


def _reference(x, W, b, g, pad):
    """Output, input gradient and weight gradient in float64 of the float32 inputs, by shifted sums."""
    x, W, g = x.astype(np.float64), W.astype(np.float64), g.astype(np.float64)
    N, C, H, Wd = x.shape
    Ho, Wo = g.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    y = np.zeros(g.shape) + (0.0 if b is None else b.astype(np.float64))
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    for u in range(3):
        for v in range(3):
            window = xp[:, :, u:u + Ho, v:v + Wo]
            y += np.einsum("nchw,oc->nohw", window, W[:, :, u, v])
            dW[:, :, u, v] = np.einsum("nohw,nchw->oc", g, window)
            dxp[:, :, u:u + Ho, v:v + Wo] += np.einsum("nohw,oc->nchw", g, W[:, :, u, v])
    return y, dxp[:, :, pad[0]:pad[0] + H, pad[1]:pad[1] + Wd], dW


SHAPES = [
    # N, inmaps, outmaps, H, W, pad, useBias
    (2, 16, 16, 8, 8, 1, True),
    (1, 16, 24, 7, 5, 1, True),        # batch of one, odd sizes: the last tiles are cut
    (3, 17, 16, 6, 9, 0, False),
    (2, 16, 18, 5, 6, 2, True),
    (2, 20, 16, 3, 3, (1, 0), True),   # a single row of tiles, uneven pads
    (1, 16, 16, 1, 1, 2, True),        # one pixel, all padding
]


def _bothPaths(mod, N, C, H, W, useBias):
    """x, g, the bias set (or None) and _run's results with Winograd on and off."""
    b = None
    if useBias:
        b = np.random.randn(1, mod.outmaps, 1, 1).astype(np.float32)
        mod.vars["b"].data.set(b)
    x = np.random.randn(N, C, H, W).astype(np.float32)
    g = np.random.randn(*mod.dataShapeFrom(x.shape)).astype(np.float32)
    wino = _run(mod, x, g, winograd=True)
    plain = _run(mod, x, g, winograd=False)
    assert wino[4] and not plain[4]
    return x, g, b, wino, plain


def _checkAgainst(wino, plain, refs):
    for name, w, p, ref in zip(("data", "grad", "W.grad"), wino, plain, refs):
        scale = np.abs(ref).max()
        # float32 rounding: no more than a few times the im2col path's own error (both ~1e-7 of scale)
        assert np.abs(w - ref).max() <= 3 * np.abs(p - ref).max() + 2e-7 * scale, name
        np.testing.assert_allclose(w, p, rtol=0, atol=2e-6 * scale, err_msg=name)


@pytest.mark.parametrize("N,C,O,H,W,pad,useBias", SHAPES)
def test_winograd_matches_im2col_and_float64(N, C, O, H, W, pad, useBias):
    mod = Conv2D(C, O, 3, pad=pad, useBias=useBias, initscheme="gaussian")
    x, g, b, wino, plain = _bothPaths(mod, N, C, H, W, useBias)
    _checkAgainst(wino, plain, _reference(x, mod.W.get(), b, g, mod.pad))
    if useBias:
        np.testing.assert_allclose(wino[3], g.astype(np.float64).sum(axis=(0, 2, 3)).reshape(1, O, 1, 1),
                                   rtol=1e-5, atol=1e-5)


def test_winograd_accumulates_with_scale_and_momentum():
    mod = Conv2D(16, 16, 3, pad=1, initscheme="gaussian")
    x = np.random.randn(2, 16, 6, 6).astype(np.float32)
    g = np.random.randn(2, 16, 6, 6).astype(np.float32)
    once = _run(mod, x, g, winograd=True)
    twice = _run(mod, x, g, winograd=True, scale=2.0, momentum=1.0, twice=True)
    np.testing.assert_allclose(twice[2], 3 * once[2], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(twice[3], 3 * once[3], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("blockBytes", [1, 20000, 40000, 1 << 30])
def test_winograd_blocks_of_any_size_give_the_same_numbers(monkeypatch, blockBytes):
    # a row of tiles a block (1), a sample in parts of a few rows (20000), a few samples with a ragged
    # last block (40000), the whole batch in one: y and dx are the same to the bit (a block that starts
    # inside a sample carries the row above into the rows they share); the weight gradient's per-block
    # parts are summed in another grouping (float32 rounding)
    mod = Conv2D(16, 24, 3, pad=1, initscheme="gaussian")
    x = np.random.randn(7, 16, 9, 10).astype(np.float32)
    g = np.random.randn(7, 24, 9, 10).astype(np.float32)
    whole = _run(mod, x, g, winograd=True)
    monkeypatch.setattr(_winograd, "BLOCK_BYTES", blockBytes)
    blocked = _run(mod, x, g, winograd=True)
    assert blocked[4]
    np.testing.assert_array_equal(whole[0], blocked[0])
    np.testing.assert_array_equal(whole[1], blocked[1])
    np.testing.assert_allclose(whole[2], blocked[2], rtol=1e-5, atol=1e-6 * np.abs(whole[2]).max())


@pytest.mark.parametrize("N, th, tw, C, O, blockBytes", [
    (7, 5, 5, 16, 24, 1), (7, 5, 5, 16, 24, 20000), (7, 5, 5, 16, 24, 40000), (3, 112, 112, 64, 64, 1 << 21),
    (64, 16, 16, 32, 32, 1 << 21), (1, 1, 1, 8, 8, 1)])
def test_winograd_blocks_cover_every_row_of_tiles_once(monkeypatch, N, th, tw, C, O, blockBytes):
    monkeypatch.setattr(_winograd, "BLOCK_BYTES", blockBytes)
    seen = np.zeros((N, th), int)
    for n0, n1, ty0, ty1 in _winograd._blocks(N, th, tw, C, O):
        assert n0 < n1 and ty0 < ty1 and (n1 - n0 == 1 or (ty0, ty1) == (0, th))
        seen[n0:n1, ty0:ty1] += 1
        if (n1 - n0) * (ty1 - ty0) > 1:  # blocks of more than one row keep to the budget
            assert 16 * (n1 - n0) * (ty1 - ty0) * tw * (C + O) * 4 <= blockBytes
    assert (seen == 1).all()


def test_winograd_gradients_alone_are_those_of_the_joint_pass():
    # backward() with both gradients computes them in one pass over the blocks; each alone gives the same bits
    mod = Conv2D(16, 16, 3, pad=1, initscheme="gaussian")
    x = to_gpu(np.random.randn(3, 16, 8, 8).astype(np.float32))
    g = to_gpu(np.random.randn(3, 16, 8, 8).astype(np.float32))
    mod(x)
    mod.backward(g)
    assert mod._wgTiles is not None
    dx, dW = mod.grad.get(), mod.vars["W"].grad.get()
    mod.backward(g, updParamGrads=False)
    np.testing.assert_array_equal(mod.grad.get(), dx)
    mod.vars["W"].grad.fill(0)
    mod.backward(g, updGrad=False)
    assert mod.grad is None
    np.testing.assert_array_equal(mod.vars["W"].grad.get(), dW)
    mod.updateGrad(g)   # the contract's own calls, outside backward()
    np.testing.assert_array_equal(mod.grad.get(), dx)
    mod.accGradParams(g)
    np.testing.assert_array_equal(mod.vars["W"].grad.get(), dW)


def test_without_numba_the_im2col_path_runs(monkeypatch):
    monkeypatch.setattr(_winograd, "_tried", True)
    monkeypatch.setattr(_winograd, "_kernels", None)
    mod = Conv2D(16, 16, 3, pad=1, initscheme="gaussian")
    x = np.random.randn(2, 16, 5, 5).astype(np.float32)
    g = np.random.randn(2, 16, 5, 5).astype(np.float32)
    y, dx, dW, db, ran = _run(mod, x, g, winograd=True)
    assert not ran
    ref = _reference(x, mod.W.get(), mod.b.get(), g, mod.pad)
    for got, want in zip((y, dx, dW), ref):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kwargs,dtype", [
    (dict(inmaps=16, outmaps=16, size=3, pad=1), np.float64),      # float64 keeps the exact path
    (dict(inmaps=16, outmaps=16, size=3, stride=2, pad=1), np.float32),
    (dict(inmaps=16, outmaps=16, size=3, dilation=2, pad=2), np.float32),
    (dict(inmaps=16, outmaps=16, size=3, pad=1, groups=2), np.float32),
    (dict(inmaps=16, outmaps=16, size=5, pad=2), np.float32),
    (dict(inmaps=3, outmaps=16, size=3, pad=1), np.float32),       # too few maps to win
])
def test_winograd_only_where_it_applies(kwargs, dtype):
    mod = Conv2D(initscheme="gaussian", **kwargs)
    mod.calcMode(dtype)
    x = np.random.randn(2, kwargs["inmaps"], 7, 7).astype(dtype)
    mod(to_gpu(x))
    assert mod._wgTiles is None


@pytest.mark.parametrize("budget", [0, 1 << 20])
def test_winograd_buffers_are_shared_and_bounded(monkeypatch, budget):
    # as the im2col path's (test_Conv2D.py): a layer holds parameter-sized scratch and the transformed
    # input it may keep within the workspace's budget; the rest is the shared workspace's slots
    from PuzzleLib.Cost import CrossEntropy
    from PuzzleLib.Handlers import Trainer
    from PuzzleLib.Models.Nets.ResNet import loadResNet
    from PuzzleLib.Modules import _conv
    from PuzzleLib.Optimizers import MomentumSGD
    from tests.Modules.test_Conv2D import _privateBytes
    ws = _conv._Workspace(colsBudget=budget)
    monkeypatch.setattr(_conv, "workspace", ws)
    np.random.seed(0)
    net = loadResNet(inmaps=3, insize=16, maps=(8, 16, 32), blocks=2)
    opt = MomentumSGD(learnRate=1e-2)
    opt.setupOn(net)
    N = 8
    x = np.random.randn(2 * N, 3, 16, 16).astype(np.float32)
    labels = np.random.randint(0, 10, 2 * N).astype(np.int32)
    Trainer(net, CrossEntropy(), opt, batchsize=N).train(to_gpu(x), to_gpu(labels))
    convs = [conv for conv in net.getAllByType(_conv.ConvND) if conv._wgTiles is not None]
    assert len(convs) >= 4
    for conv in convs:
        kept = sum(ws._kept.get(id(conv), {}).values())
        assert _privateBytes(conv) <= kept + 4 * conv.W.nbytes + 1024, conv
    assert ws.keptBytes() <= budget


def test_winograd_from_two_threads_at_once():
    # two threads running the blocked passes at once (a served model and a trainer) share the helper
    # threads of Backend._jit; each gets its own numbers (scratch buffers and workspace are per thread)
    import threading
    mods = [Conv2D(16, 16, 3, pad=1, initscheme="gaussian") for _ in range(2)]
    xs = [np.random.randn(2, 16, 12, 12).astype(np.float32) for _ in range(2)]
    want = [mod(to_gpu(x)).get() for mod, x in zip(mods, xs)]
    got, errors = [[], []], []

    def work(i):
        try:
            for _ in range(20):
                got[i].append(mods[i](to_gpu(xs[i])).get())
        except Exception as e:    # reported below, in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(2):
        assert len(got[i]) == 20
        for y in got[i]:
            np.testing.assert_array_equal(y, want[i])


def test_winograd_in_a_forked_child():
    # a data loader's worker is a fork of a process that has run the kernels: it can run them too
    import os
    import signal
    import time
    mod = Conv2D(16, 16, 3, pad=1, initscheme="gaussian")
    x = to_gpu(np.random.randn(2, 16, 12, 12).astype(np.float32))
    want = mod(x).get()
    pid = os.fork()
    if pid == 0:    # the child: exit status 0 when it got the same numbers
        try:
            os._exit(0 if np.array_equal(mod(x).get(), want) else 1)
        finally:
            os._exit(2)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung in the Winograd kernels")
        time.sleep(0.05)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("handled", [False, True])
def test_winograd_module_shared_by_two_graph_nodes(handled):
    # a module at two nodes keeps each call's transformed input apart (the Graph restores its state
    # before each node's backward), with fresh buffers per call or, under a handler, reused ones
    from PuzzleLib.Containers import Graph
    from PuzzleLib.Modules import Activation
    conv = Conv2D(8, 8, 3, pad=1, initscheme="gaussian", name="conv")
    first = conv.node()
    out = conv.node(Activation("tanh", name="act").node(first))
    net = Graph(inputs=first, outputs=out)
    net._setReuse(handled)
    x = np.random.randn(2, 8, 6, 6).astype(np.float32)
    g = np.random.randn(2, 8, 6, 6).astype(np.float32)
    results = {}
    for on in (True, False):
        _winograd.enabled = on
        try:
            net.zeroGradParams()
            y = net(to_gpu(x)).get()
            net.backward(to_gpu(g))
            results[on] = (y, net.grad.get(), conv.vars["W"].grad.get(), conv.vars["b"].grad.get())
            assert (conv._wgTiles is not None) == on
        finally:
            _winograd.enabled = True
    for a, b in zip(results[True], results[False]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


DECONV_SHAPES = [
    # N, inmaps, outmaps, H, W, pad, useBias
    (2, 8, 16, 6, 6, 1, True),
    (1, 16, 8, 5, 7, 0, True),          # batch of one, odd sizes, the output larger than the input
    (2, 12, 8, 7, 4, 2, False),         # pad 2: the output smaller than the input
    (2, 8, 8, 4, 5, (0, 2), True),
]


@pytest.mark.parametrize("N,C,O,H,W,pad,useBias", DECONV_SHAPES)
def test_deconv_winograd_matches_im2col_and_float64(N, C, O, H, W, pad, useBias):
    # a stride-1 Deconv is the convolution with the kernel flipped, its maps swapped and padded by 2 - pad
    from PuzzleLib.Modules import Deconv2D
    mod = Deconv2D(C, O, 3, pad=pad, useBias=useBias, initscheme="gaussian")
    x, g, b, wino, plain = _bothPaths(mod, N, C, H, W, useBias)
    Wc = mod.W.get().transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
    y, dx, dWc = _reference(x, Wc, b, g, tuple(2 - p for p in mod.pad))
    _checkAgainst(wino, plain, (y, dx, dWc.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]))
    if useBias:
        np.testing.assert_allclose(wino[3], plain[3], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(pad=3), dict(stride=2, pad=1), dict(pad=1, groups=2)])
def test_deconv_winograd_only_where_it_applies(kwargs):
    from PuzzleLib.Modules import Deconv2D
    mod = Deconv2D(8, 8, 3, initscheme="gaussian", **kwargs)
    mod(to_gpu(np.random.randn(2, 8, 7, 7).astype(np.float32)))
    assert mod._wgTiles is None


def test_kernel_transforms_are_the_products_with_G():
    """U = G W G^T and dW = G^T dU G as compiled loops give the float32 matrix products' numbers, bit for
    bit, for weights across magnitudes and for a Deconv's flipped, non-contiguous kernel view."""
    _winograd.kernels()
    G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]], dtype=np.float32)
    rng = np.random.RandomState(3)
    for O, C in ((16, 17), (32, 32), (64, 40)):
        W = (rng.standard_normal((O, C, 3, 3)) * 10.0 ** rng.randint(-4, 4, (O, C, 1, 1))).astype(np.float32)
        for kernel in (W, W.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]):
            o, c = kernel.shape[:2]
            U = _winograd.transformedWeights(kernel, np.empty((16, c, o), np.float32))
            expected = np.matmul(np.matmul(G, kernel), G.T).reshape(o, c, 16).transpose(2, 1, 0)
            np.testing.assert_array_equal(U, expected)
        dU = rng.standard_normal((16, C, O)).astype(np.float32)
        dW = _winograd.weightGradient(dU, np.empty((O, C, 3, 3), np.float32))
        np.testing.assert_array_equal(dW, np.matmul(np.matmul(G.T, dU.transpose(2, 1, 0).reshape(O, C, 4, 4)), G))


def test_winograd_scratch_of_a_finished_thread_is_freed():
    # each thread's block buffers live in its thread-local storage: a server's short-lived request
    # threads do not leave theirs behind
    import gc
    import threading
    import weakref
    mod = Conv2D(16, 16, 3, pad=1, initscheme="gaussian")
    x = to_gpu(np.random.randn(2, 16, 12, 12).astype(np.float32))
    refs = []

    def work():
        mod(x)
        refs.append(weakref.ref(_winograd._local.buffers["V"]))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    gc.collect()
    assert len(refs) == 1 and refs[0]() is None
