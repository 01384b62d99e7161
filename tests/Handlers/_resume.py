"""Training run used by the resume test, in the test process and in a fresh one.

    python -m tests.Handlers._resume OPTIMIZER CHECKPOINT OUT.npz EPOCHS

loads CHECKPOINT into a freshly built net and optimizer, trains EPOCHS more epochs and writes the
parameters, the optimizer state and the next random draw to OUT.npz.
"""
import sys

import numpy as np

from PuzzleLib.Containers import Sequential
from PuzzleLib.Cost import MSE
from PuzzleLib.Handlers import Trainer, loadCheckpoint
from PuzzleLib.Modules import Activation, BatchNorm, Dropout, Linear
from PuzzleLib.Optimizers import Adam, MomentumSGD, RMSPropGraves

OPTIMIZERS = {
    "Adam": lambda: Adam(alpha=0.01),
    "MomentumSGD": lambda: MomentumSGD(learnRate=0.05, momRate=0.9),
    "RMSPropGraves": lambda: RMSPropGraves(learnRate=0.001),
}


def data():
    rng = np.random.RandomState(11)
    x = rng.randn(70, 3).astype(np.float32)
    y = np.sin(x.sum(axis=1, keepdims=True)).astype(np.float32)
    return x, y


def build(optName, seed):
    np.random.seed(seed)
    net = Sequential()
    net.append(Linear(3, 8, initscheme="he"))
    net.append(BatchNorm(8))
    net.append(Activation("relu"))
    net.append(Dropout(p=0.2, rng=np.random))  # numpy's global generator, which a checkpoint saves (CuPy's is not)
    net.append(Linear(8, 1))
    net[0].vars["W"].learnRate = 0.5     # per-variable multipliers belong to the program, not the file
    net[4].vars["b"].wc = 0.001
    opt = OPTIMIZERS[optName]()
    return net, opt


def train(net, opt, epochs):
    x, y = data()
    trainer = Trainer(net, MSE(), opt, batchsize=8)
    for _ in range(epochs):
        trainer.trainFromHost(x, y, macroBatchSize=32)


def snapshot(net, opt):
    out = {}
    for var, names in net.getVarTable().items():
        out["param:" + names[0]] = var.data.get()
        for sname, buf in opt.states[var].items():
            out["state:%s:%s" % (names[0], sname)] = buf.get()
    for path, mod, _ in net._walk(""):
        for aname, attr in mod.attrs.items():
            out["attr:%s.%s" % (path, aname)] = attr.get()
    out["t"] = np.array(opt.t)
    out["nextDraw"] = np.random.random_sample(4)
    return out


def main(optName, checkpoint, outPath, epochs):
    net, opt = build(optName, seed=999)           # different initial values: the checkpoint must win
    opt.setupOn(net, useGlobalState=False)         # the other state mode than the first half used
    epoch = loadCheckpoint(checkpoint, net, opt)
    train(net, opt, epochs)
    np.savez(outPath, epoch=np.array(epoch), **snapshot(net, opt))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
