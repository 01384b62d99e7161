"""A program written for PuzzleLib 1.0's Grid (the shape of its MultiGPU examples), run by the test
as ``python tests/Grid/_upstream_program.py`` (runGrid starts the processes itself)."""
import sys

import numpy as np

from PuzzleLib.Grid import runGrid


def train(nodeinfo, verbose, fail=False):
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Cost import CrossEntropy
    from PuzzleLib.Handlers import Trainer
    from PuzzleLib.Modules import Activation, Linear
    from PuzzleLib.Optimizers import MomentumSGD

    rng = np.random.RandomState(0)
    data = rng.randn(256, 8).astype(np.float32)
    labels = (data[:, 0] > 0).astype(np.int32)

    np.random.seed(1234 + nodeinfo.index)  # different seeds: the optimizer gives every node node 0's net
    net = Sequential()
    net.append(Linear(8, 16))
    net.append(Activation("relu"))
    net.append(Linear(16, 2))

    optimizer = MomentumSGD(learnRate=0.1, momRate=0.9, nodeinfo=nodeinfo)
    optimizer.setupOn(net, useGlobalState=True)
    cost = CrossEntropy()
    trainer = Trainer(net, cost, optimizer, batchsize=32 // nodeinfo.gridsize)

    part = data.shape[0] // nodeinfo.gridsize
    mine = slice(nodeinfo.index * part, (nodeinfo.index + 1) * part)
    for epoch in range(3):
        if fail and nodeinfo.index == 1 and epoch == 1:
            raise RuntimeError("out of data")
        trainer.trainFromHost(data[mine], labels[mine])
        error = nodeinfo.meanValue(cost.getMeanError())
        if verbose and nodeinfo.index == 0:
            print("epoch %d error %.4f" % (epoch, error), flush=True)

    checksum = float(sum(float(np.abs(var.data.get()).sum()) for var in net.getVarTable()))
    same = nodeinfo.meanValue(float(nodeinfo.meanValue(checksum) == checksum)) == 1.0   # on every node
    if nodeinfo.index == 0:   # one line: the nodes' outputs are not ordered with each other
        print("same parameters on all %d nodes: %s" % (nodeinfo.gridsize, same), flush=True)


def main():
    runGrid(target=train, size=2, verbose=True, fail="--fail" in sys.argv)


if __name__ == "__main__":
    main()
