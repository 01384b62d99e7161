"""Plain-numpy workloads: the tutorial's hand-made net, and the sgemm ceiling of the wide MLP.

The hand-made net is the tutorial's ``Linear`` / ``Activation`` / ``Net`` (nonlinear_tutorial.py),
written again here: weights drawn by ``np.random.randn`` (so float64, as in the tutorial, with
float32 data), ``x @ W + b`` forward, relu as ``x * (x > 0)``, the error gradient
``(pred - target) / size``, and plain gradient descent applied layer by layer after the backward
pass (``W -= lr * x.T @ g``; the bias through a product with a vector of ones, as the tutorial
does). It has no momentum: that is the tutorial's net.
"""
import time

import numpy as np

import common
from common_loop import batchSlices, macroBatchSlices, newRng


class _Dense:
    def __init__(self, insize, outsize):
        self.W = np.random.randn(insize, outsize)
        self.b = np.zeros((outsize,))
        self.x = None
        self.g = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, g):
        self.g = g
        return g @ self.W.T

    def update(self, lr):
        self.W -= (self.x.T @ self.g) * lr
        self.b -= (self.g.T @ np.ones(self.g.shape[0])) * lr


class _Relu:
    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y = x * (x > 0)
        return self.y

    def backward(self, g):
        return (self.y > 0) * g

    def update(self, lr):
        pass


class HandNet:
    """1 -> hidden -> 1, relu, trained by ``step(x, y, lr)`` as the tutorial's ``Net.optimize``."""

    def __init__(self, hidden):
        self.layers = [_Dense(1, hidden), _Relu(), _Dense(hidden, 1)]

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def step(self, x, y, lr):
        pred = self.predict(x)
        g = (pred - y) / y.size
        for layer in reversed(self.layers):
            g = layer.backward(g)
        for layer in self.layers:
            layer.update(lr)
        return pred


class TutorialStep:
    """One pass over 1000 samples in batches of ``batch``; a unit is one step."""

    def __init__(self, batch):
        X, Y = common.tutorialData()
        self.X, self.Y = X[:common.STEP_SAMPLES], Y[:common.STEP_SAMPLES]
        np.random.seed(1234)
        self.net = HandNet(common.TUTORIAL_HIDDEN)
        self.batch = batch
        self.rng = newRng()
        self.lastErr = None

    def block(self):
        net, X, Y, lr = self.net, self.X, self.Y, common.TUTORIAL_LR
        slices = batchSlices(X.shape[0], self.batch, self.rng)
        for a, b in slices:
            net.step(X[a:b], Y[a:b], lr)
        return len(slices)

    def info(self):
        pred = self.net.predict(self.X)
        return {"error": float(0.5 * np.mean((pred - self.Y) ** 2))}


class TutorialFull:
    """The whole tutorial training: ``epochs`` epochs over the 1024 points, macro-batches of 1000.

    Like the tutorial's own hand-made loop it tracks no running error; the error over the grid is
    computed once at the end (one extra forward pass inside the timed block).
    """

    def __init__(self, epochs, batch):
        self.X, self.Y = common.tutorialData()
        self.epochs, self.batch = epochs, batch
        self.error = None

    def block(self):
        np.random.seed(1234)
        net = HandNet(common.TUTORIAL_HIDDEN)
        rng = newRng()
        X, Y, lr = self.X, self.Y, common.TUTORIAL_LR
        for _ in range(self.epochs):
            for macro in macroBatchSlices(X.shape[0], common.TUTORIAL_MACRO, self.batch, rng):
                for a, b in macro:
                    net.step(X[a:b], Y[a:b], lr)
        self.error = float(0.5 * np.mean((net.predict(X) - Y) ** 2))
        return 1

    def info(self):
        return {"error": self.error}


class Sgemm:
    """The float32 matrix products of one wide-MLP step, each timed alone (best of ``repeats``).

    Operands are laid out as a Linear layer has them: x.T and W.T are transposed views of
    C-contiguous arrays, results go to preallocated ``out=`` arrays. ``info()`` keeps the best
    time of each product over every block run so far.
    """

    def __init__(self, sizes, batch, repeats):
        rng = np.random.RandomState(7)
        self.repeats = repeats
        self.ops = []
        for name, m, k, n, kind in common.gemmShapes(sizes, batch):
            if kind == "fwd":        # x (batch, in) @ W (in, out)
                a = rng.standard_normal((m, k)).astype(np.float32)
                b = rng.standard_normal((k, n)).astype(np.float32)
            elif kind == "dW":       # x.T (in, batch) @ g (batch, out)
                a = rng.standard_normal((k, m)).astype(np.float32).T
                b = rng.standard_normal((k, n)).astype(np.float32)
            else:                    # g (batch, out) @ W.T (out, in)
                a = rng.standard_normal((m, k)).astype(np.float32)
                b = rng.standard_normal((n, k)).astype(np.float32).T
            out = np.empty((m, n), dtype=np.float32)
            self.ops.append((name, 2 * m * k * n, a, b, out))
        self.best = {name: float("inf") for name, *_ in self.ops}

    def block(self):
        for name, _, a, b, out in self.ops:
            np.matmul(a, b, out=out)
            for _ in range(self.repeats):
                t0 = time.perf_counter()
                np.matmul(a, b, out=out)
                dt = time.perf_counter() - t0
                if dt < self.best[name]:
                    self.best[name] = dt
        return 1

    def info(self):
        ops = [{"name": name, "flops": flops, "best_s": self.best[name],
                "gflops": flops / self.best[name] / 1e9} for name, flops, *_ in self.ops]
        total = sum(op["flops"] for op in ops)
        seconds = sum(op["best_s"] for op in ops)
        return {"ops": ops, "step_flops": total, "step_seconds": seconds, "gflops": total / seconds / 1e9}


def probe():
    return {"numpy": np.__version__}


def build(workload, params):
    if workload == "tutorial_step":
        return TutorialStep(params["batch"])
    if workload == "tutorial_full":
        return TutorialFull(params["epochs"], params["batch"])
    if workload == "sgemm":
        return Sgemm(tuple(params["sizes"]), params["batch"], params["repeats"])
    raise KeyError(workload)
