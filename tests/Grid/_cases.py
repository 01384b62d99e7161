"""Nets, data and references shared by the grid tests and the jobs they start (``_job.py``)."""
import numpy as np

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Cost import MSE, CrossEntropy
from PuzzleLib.Modules import Activation, BatchNorm2D, Conv2D, Flatten, Linear, MaxPool2D
from PuzzleLib.Optimizers import Adam, MomentumSGD

B = 4   # batch of one rank; the single-process reference takes 2 * B

# name: (net, cost, optimizer, number of samples)
CASES = {
    "mlp-mse-momentum": ("mlp", "mse", "momentum", 24),
    "mlp-ce-adam": ("mlp", "ce", "adam", 24),
    "cnn-ce-momentum": ("cnn", "ce", "momentum", 24),
    "cnn-mse-adam": ("cnn", "mse", "adam", 24),
    "mlp-mse-uneven": ("mlp", "mse", "momentum", 23),   # a last batch of 7 = 4 + 3
    "cnn-ce-merged": ("cnn", "ce", "adam", 17),         # a rest of 1 joins the last batch: 9 = 5 + 4
    "mlp-mse-clipped": ("mlp", "mse", "momentum", 24),  # a ClipByGlobalNorm hook: it sees the mean gradient
}


def buildNet(kind, outputs):
    np.random.seed(3)
    net = Sequential()
    if kind == "mlp":
        net.append(Linear(6, 16))
        net.append(Activation("relu"))
        net.append(Linear(16, outputs))
    else:
        net.append(Conv2D(2, 4, 3, pad=1, useBias=False))  # a bias before BatchNorm gets no gradient
        net.append(BatchNorm2D(4))
        net.append(Activation("relu"))
        net.append(MaxPool2D())
        net.append(Flatten())
        net.append(Linear(4 * 3 * 3, outputs))
    return net


def build(case, grid=False):
    """(net, cost, optimizer, data, target) for ``case``; the net is built from seed 3, the data
    from its own generator."""
    kind, costName, optName, n = CASES[case]
    outputs = 3
    net = buildNet(kind, outputs)
    rng = np.random.RandomState(7)
    X = rng.randn(n, 6).astype(np.float32) if kind == "mlp" else rng.randn(n, 2, 6, 6).astype(np.float32)
    if costName == "mse":
        cost, Y = MSE(), rng.randn(n, outputs).astype(np.float32)
    else:
        cost, Y = CrossEntropy(), rng.randint(0, outputs, size=n).astype(np.int32)
    opt = MomentumSGD(learnRate=0.05, momRate=0.9) if optName == "momentum" else Adam(alpha=0.01)
    if case.endswith("clipped"):
        from PuzzleLib.Optimizers.Hooks import ClipByGlobalNorm
        opt.addHook(ClipByGlobalNorm(0.05))   # smaller than the gradients' norm: every step clips
    return net, cost, opt, X, Y


def epochOrder(n):
    """The permutation DataParallel draws for an epoch, from numpy's global generator."""
    seed = int(np.random.randint(0, 2 ** 31 - 1))
    return np.random.RandomState(seed).permutation(n)


def globalBatches(n, ranks):
    """The global batches of an epoch of ``n`` samples over ``ranks`` ranks of batch B."""
    G = ranks * B
    full, rest = divmod(n, G)
    bounds = [(i * G, (i + 1) * G) for i in range(full)]
    if rest:
        if rest < ranks and bounds:
            bounds[-1] = (bounds[-1][0], n)
        else:
            bounds.append((full * G, n))
    return bounds


def referenceEpoch(net, cost, opt, X, Y, ranks=2):
    """One epoch in this process, by hand: each global batch of the 2-rank run as one batch."""
    order = epochOrder(X.shape[0])
    cost.resetAccumulator()
    net.trainMode()
    for start, stop in globalBatches(X.shape[0], ranks):
        rows = order[start:stop]
        grad = cost(net(to_gpu(X[rows])), to_gpu(Y[rows]), queryError=False)
        opt.zeroGradParams()
        net.backward(grad, updGrad=False)
        opt.update()
    return cost.getMeanError()


def state(net):
    """Every parameter and attribute of ``net`` as host arrays, by dotted name."""
    out = {}
    for path, mod, _ in net._walk(""):
        for vname, var in mod.vars.items():
            out["%s.%s" % (path, vname)] = var.data.get()
        for aname, attr in mod.attrs.items():
            if hasattr(attr, "get"):
                out["%s.%s" % (path, aname)] = attr.get()
    return out
