"""The tutorial's hand-made net: plain numpy, float64, plain gradient descent; for --compare-scratch.

It starts from the same weights as the library's net and visits the same batches in the same order
(it replays the draws the library's Trainer makes from ``np.random``), so the two runs differ only
in the update rule and in the code that computes it.
"""
import numpy as np


def _activation(name, args):
    """(forward, derivative-from-output) for one of the library's seven activation names."""
    if name == "sigmoid":
        return (lambda z: 1.0 / (1.0 + np.exp(-z))), (lambda y: y * (1.0 - y))
    if name == "tanh":
        return np.tanh, (lambda y: 1.0 - y * y)
    if name == "relu":
        return (lambda z: np.maximum(z, 0.0)), (lambda y: (y > 0).astype(y.dtype))
    if name == "leakyRelu":
        a = args[0] if args else 0.01
        return (lambda z: np.where(z > 0, z, a * z)), (lambda y: np.where(y > 0, 1.0, a))
    if name == "elu":
        a = args[0] if args else 1.0
        return (lambda z: np.where(z > 0, z, a * np.expm1(np.minimum(z, 0.0)))), (lambda y: np.where(y > 0, 1.0, y + a))
    if name == "softPlus":
        return (lambda z: np.logaddexp(0.0, z)), (lambda y: -np.expm1(-y))
    if name == "clip":
        lo, hi = args if args else (0.0, 6.0)
        return (lambda z: np.clip(z, lo, hi)), (lambda y: ((y > lo) & (y < hi)).astype(y.dtype))
    raise ValueError("unknown activation %r" % (name,))


class HandMadeNet:
    """x -> (Linear -> activation) * k -> Linear, written out in numpy.

    ``weights`` is a list of (W, b) pairs, W of shape (insize, outsize), as the library stores them.
    """

    def __init__(self, weights, activation="relu", args=()):
        self.layers = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in weights]
        self.act, self.dact = _activation(activation, args)

    def __call__(self, x):
        self.inputs = []
        self.outputs = []
        h = np.asarray(x, dtype=np.float64)
        last = len(self.layers) - 1
        for i, (W, b) in enumerate(self.layers):
            self.inputs.append(h)
            h = h @ W + b
            if i < last:
                h = self.act(h)
                self.outputs.append(h)
        return h

    def step(self, x, y, lr):
        """One plain gradient-descent step on 0.5 * mean((pred - y)**2)."""
        pred = self(x)
        delta = (pred - y) / y.size
        for i in range(len(self.layers) - 1, -1, -1):
            W, b = self.layers[i]
            gradW = self.inputs[i].T @ delta
            gradB = delta.sum(axis=0)
            if i > 0:
                delta = (delta @ W.T) * self.dact(self.outputs[i - 1])
            W -= lr * gradW
            b -= lr * gradB


def replayBatches(state, n, batchsize, macroBatchSize, epochs, steps):
    """The (start, stop) row ranges the library's Trainer visited, from the ``np.random`` state it
    started with: per epoch the macro-batch order, then in each macro-batch the batch order."""
    rng = np.random.RandomState()
    rng.set_state(state)
    totalMacro = -(-n // macroBatchSize)
    done = 0
    for _ in range(epochs):
        for m in rng.permutation(totalMacro):
            mstart = int(m) * macroBatchSize
            msize = min(macroBatchSize, n - mstart)
            for idx in rng.permutation(-(-msize // batchsize)):
                if done >= steps:
                    return
                start = mstart + int(idx) * batchsize
                yield start, min(start + batchsize, mstart + msize)
                done += 1


def trainScratch(weights, activation, args, x, y, lr, batchsize, macroBatchSize, epochs, steps, rngState):
    """Train a :class:`HandMadeNet` for ``steps`` batches; returns (net, seconds)."""
    import time

    net = HandMadeNet(weights, activation, args)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    began = time.perf_counter()
    for start, stop in replayBatches(rngState, len(x), batchsize, macroBatchSize, epochs, steps):
        net.step(x[start:stop], y[start:stop], lr)
    return net, time.perf_counter() - began
