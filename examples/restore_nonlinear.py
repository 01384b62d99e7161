"""Restore y = 2 sin(x) + 5 on [-3, 3] with a one-hidden-layer ReLU net, twice
===========================================================================

First with a network written by hand in numpy (so every step is visible), then with PuzzleLib's
Linear / Activation / Sequential, MomentumSGD, MSE and Trainer. Each run saves a before/after
figure; the errors are 0.5 * mean squared error over the 1024-point grid.

Run it as::

    python examples/restore_nonlinear.py [--out DIR] [--epochs 100]
"""
import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

GRID = np.linspace(-3, 3, 1024, dtype=np.float32).reshape(-1, 1)


def target(x):
    return (2 * np.sin(x) + 5).astype(np.float32)


def gridError(pred):
    return float(0.5 * np.mean((pred - target(GRID)) ** 2))


def drawBeforeAfter(path, before, after, label):
    fig, axes = plt.subplots(1, 2, figsize=(10.4, 4.8))
    for ax, pred, when in zip(axes, (before, after), ("before", "after")):
        ax.plot(GRID, target(GRID), linewidth=5, color="black", label="True values")
        ax.plot(GRID, pred, linewidth=2, color="orange", label="%s, %s training" % (label, when))
        ax.set_title("error %.3g" % gridError(pred))
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


class HandMadeNet:
    """x -> Linear(1, n) -> ReLU -> Linear(n, 1), plain numpy and plain gradient descent."""

    def __init__(self, hidden):
        self.w1 = np.random.randn(1, hidden)
        self.b1 = np.zeros(hidden)
        self.w2 = np.random.randn(hidden, 1)
        self.b2 = np.zeros(1)

    def __call__(self, x):
        self.x = x
        self.z = x @ self.w1 + self.b1
        self.h = np.maximum(self.z, 0)
        return self.h @ self.w2 + self.b2

    def step(self, x, y, lr):
        pred = self(x)
        dpred = (pred - y) / y.size          # d(0.5 * mean((pred - y)^2)) / dpred
        dh = dpred @ self.w2.T
        dz = dh * (self.z > 0)
        self.w2 -= lr * self.h.T @ dpred
        self.b2 -= lr * dpred.sum(axis=0)
        self.w1 -= lr * self.x.T @ dz
        self.b1 -= lr * dz.sum(axis=0)


def handMade(out, hidden=100, steps=1000, batch=100, lr=1e-2):
    np.random.seed(1234)
    net = HandMadeNet(hidden)
    before = net(GRID)
    shuffled = GRID[np.random.permutation(len(GRID))]
    for _ in range(steps):
        start = np.random.randint(0, 1000 - batch)
        x = shuffled[start:start + batch]
        net.step(x, target(x), lr)
    after = net(GRID)
    drawBeforeAfter(os.path.join(out, "handmade.png"), before, after, "hand-made net")
    return gridError(after)


def library(out, hidden=100, epochs=100, batch=10, lr=1e-2):
    from PuzzleLib.Backend.gpuarray import to_gpu
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Cost import MSE
    from PuzzleLib.Handlers import Trainer
    from PuzzleLib.Modules import Activation, Linear
    from PuzzleLib.Modules.Activation import relu
    from PuzzleLib.Optimizers import MomentumSGD

    np.random.seed(1234)
    net = Sequential()
    net.append(Linear(1, hidden, initscheme="gaussian"))
    net.append(Activation(relu))
    net.append(Linear(hidden, 1, initscheme="gaussian"))
    before = net(to_gpu(GRID)).get()

    cost = MSE()
    optimizer = MomentumSGD(lr)
    optimizer.setupOn(net)
    trainer = Trainer(net, cost, optimizer, batchsize=batch)

    order = np.random.permutation(len(GRID))
    x, y = GRID[order], target(GRID)[order]
    start = time.perf_counter()
    for epoch in range(epochs):
        trainer.trainFromHost(x, y, macroBatchSize=1000)
        if (epoch + 1) % 20 == 0:
            print("epoch %3d: mean training error %.6f" % (epoch + 1, cost.getMeanError()))
    seconds = time.perf_counter() - start

    net.evalMode()
    after = net(to_gpu(GRID)).get()
    drawBeforeAfter(os.path.join(out, "library.png"), before, after, "PuzzleLib net")
    return gridError(after), seconds


def main():
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0] or None)
    parser.add_argument("--out", default="example-out")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("argument --epochs: expected a whole number >= 1, got %d" % args.epochs)
    if not args.out or (os.path.exists(args.out) and not os.path.isdir(args.out)):
        parser.error("argument --out: %r is not a folder" % args.out)
    os.makedirs(args.out, exist_ok=True)

    print("hand-made numpy net: grid error %.6f" % handMade(args.out))
    err, seconds = library(args.out, epochs=args.epochs)
    print("PuzzleLib net: grid error %.6f after %d epochs (%.2f s of training)" % (err, args.epochs, seconds))
    print("figures: %s, %s" % (os.path.join(args.out, "handmade.png"), os.path.join(args.out, "library.png")))


if __name__ == "__main__":
    main()
