"""Helpers for the handler tests: a pass-through module that records what it is given."""
import numpy as np

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Containers import Sequential
from PuzzleLib.Modules import Linear
from PuzzleLib.Modules.Module import Module


class Recorder(Module):
    """Identity module that records every batch it sees (host copies) and the mode it was in."""

    def __init__(self, name=None):
        super().__init__(name)
        self.batches = []
        self.modes = []

    def updateData(self, data):
        self.batches.append(gpuarray.to_host(data))
        self.modes.append(self.train)
        self.data = data

    def updateGrad(self, grad):
        self.grad = grad


def recordedNet(insize=1, outsize=1):
    """Sequential(Recorder, Linear): the recorder sees each batch, the Linear gives parameters."""
    rec = Recorder()
    net = Sequential().append(rec).append(Linear(insize, outsize, initscheme="gaussian"))
    return net, rec


def indexedData(n, width=1):
    """Rows whose first column is the row index, so a batch tells which rows it holds."""
    x = np.zeros((n, width), np.float32)
    x[:, 0] = np.arange(n)
    return x


def batchRows(batches):
    return [[int(v) for v in b[:, 0]] for b in batches]


def expectedRandomRows(n, batchsize, macroBatchSize, seed):
    """The rows of each batch in the order a handler visits them with random=True:
    np.random.permutation(totalMacroBatches) first, then per macro-batch np.random.permutation(totalBatches)."""
    rng = np.random.RandomState(seed)
    totalMacro = -(-n // macroBatchSize)
    rows = []
    for m in rng.permutation(totalMacro):
        start = m * macroBatchSize
        size = min(macroBatchSize, n - start)
        nb = -(-size // batchsize)
        for b in rng.permutation(nb):
            lo = start + b * batchsize
            rows.append(list(range(lo, min(lo + batchsize, start + size))))
    return rows
