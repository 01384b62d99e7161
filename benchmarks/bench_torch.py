"""PyTorch workloads, in the plain idiomatic loop: zero_grad, forward, loss, backward, step.

Threads as PyTorch sets them by default (no torch.set_num_threads). The batches are contiguous
slices visited in the same random order PuzzleLib's Trainer uses, so both do the same steps.

``nn.MSELoss`` is the mean of squares, twice PuzzleLib's MSE (``0.5 * mean``), so its gradient is
twice as large: with MSE the learning rate is halved (``MSE_LR_FACTOR``), which makes PyTorch's
momentum SGD follow the same trajectory as PuzzleLib's (without it the tutorial net diverges to
NaN at batch 10). Cross entropy is the mean negative log-likelihood in both: the same rate.
"""
import numpy as np
import torch
from torch import nn

import common
from common_loop import batchSlices, macroBatchSlices, newRng

MSE_LR_FACTOR = 0.5


def probe():
    return {"version": torch.__version__, "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads()}


def tutorialNet():
    torch.manual_seed(1234)
    net = nn.Sequential(nn.Linear(1, common.TUTORIAL_HIDDEN), nn.ReLU(), nn.Linear(common.TUTORIAL_HIDDEN, 1))
    with torch.no_grad():
        for layer in (net[0], net[2]):        # the tutorial's "gaussian" scheme
            layer.weight.normal_(0.0, 1.0)
            layer.bias.zero_()
    return net


def _sgd(net, lr, momentum):
    return torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)


def _epoch(net, lossFn, opt, X, T, slices):
    for a, b in slices:
        opt.zero_grad()
        loss = lossFn(net(X[a:b]), T[a:b])
        loss.backward()
        opt.step()
    return loss


class TutorialStep:
    """A pass over 1000 samples in batches of ``batch``; a unit is one step."""

    def __init__(self, batch):
        X, Y = common.tutorialData()
        self.X = torch.from_numpy(X[:common.STEP_SAMPLES].copy())
        self.Y = torch.from_numpy(Y[:common.STEP_SAMPLES].copy())
        self.net = tutorialNet()
        self.lossFn = nn.MSELoss()
        self.opt = _sgd(self.net, common.TUTORIAL_LR * MSE_LR_FACTOR, common.TUTORIAL_MOMENTUM)
        self.batch = batch
        self.rng = newRng()
        self.loss = None

    def block(self):
        slices = batchSlices(self.X.shape[0], self.batch, self.rng)
        self.loss = _epoch(self.net, self.lossFn, self.opt, self.X, self.Y, slices)
        return len(slices)

    def info(self):
        return {"error": 0.5 * self.loss.item()}


class TutorialFull:
    """The tutorial's training in PyTorch: ``epochs`` epochs, macro-batches of 1000, the running
    mean error read (``loss.item()``) per batch as the tutorial's callback reports it."""

    def __init__(self, epochs, batch):
        X, Y = common.tutorialData()
        self.X, self.Y = torch.from_numpy(X), torch.from_numpy(Y)
        self.epochs, self.batch = epochs, batch
        self.error = None

    def block(self):
        net = tutorialNet()
        lossFn = nn.MSELoss()
        opt = _sgd(net, common.TUTORIAL_LR * MSE_LR_FACTOR, common.TUTORIAL_MOMENTUM)
        rng = newRng()
        X, Y = self.X, self.Y
        for _ in range(self.epochs):
            for macro in macroBatchSlices(X.shape[0], common.TUTORIAL_MACRO, self.batch, rng):
                total, count = 0.0, 0
                for a, b in macro:
                    opt.zero_grad()
                    loss = lossFn(net(X[a:b]), Y[a:b])
                    loss.backward()
                    opt.step()
                    total += loss.item() * (b - a)
                    count += b - a
                self.error = 0.5 * total / count
        return 1

    def info(self):
        return {"error": self.error}


def wideNet():
    torch.manual_seed(1234)
    sizes = common.WIDE_SIZES
    layers = []
    for i, (fin, fout) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fin, fout))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                layer.bias.zero_()
    return net


def _targets(cost, labels, onehot):
    """(loss, targets, learning-rate factor) for "ce" (int64 labels) or "mse" (one-hot floats)."""
    if cost == "ce":
        return nn.CrossEntropyLoss(), torch.from_numpy(labels.astype(np.int64)), 1.0
    return nn.MSELoss(), torch.from_numpy(onehot), MSE_LR_FACTOR


class _Epochs:
    """An epoch of a classifier over (X, T); a unit is one epoch. Subclasses build the net."""

    def _setup(self, X, labels, onehot, cost, net, lr, momentum, batch):
        self.X = torch.from_numpy(X)
        self.lossFn, self.T, factor = _targets(cost, labels, onehot)
        self.net = net
        self.opt = _sgd(net, lr * factor, momentum)
        self.batch = batch
        self.rng = newRng()
        self.loss = None

    def block(self):
        slices = batchSlices(self.X.shape[0], self.batch, self.rng)
        self.loss = _epoch(self.net, self.lossFn, self.opt, self.X, self.T, slices)
        return 1

    def info(self):
        return {"last_batch_loss": self.loss.item()}


class WideEpoch(_Epochs):
    """One epoch of the wide MLP."""

    def __init__(self, samples, batch, cost):
        X, labels, onehot = common.wideData(samples)
        self._setup(X, labels, onehot, cost, wideNet(), common.WIDE_LR, common.WIDE_MOMENTUM, batch)


def cnnNet():
    torch.manual_seed(1234)
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10),
    )
    return net


class CnnEpoch(_Epochs):
    """One epoch of the LeNet-style CNN on the digits."""

    def __init__(self, batch, cost, samples=None):
        X, labels, _ = common.digitsData()
        X, labels = X[:samples], labels[:samples]
        onehot = np.zeros((labels.shape[0], 10), dtype=np.float32)
        onehot[np.arange(labels.shape[0]), labels] = 1.0
        self._setup(X, labels, onehot, cost, cnnNet(), common.CNN_LR, common.CNN_MOMENTUM, batch)


def build(workload, params):
    if workload == "tutorial_step":
        return TutorialStep(params["batch"])
    if workload == "tutorial_full":
        return TutorialFull(params["epochs"], params["batch"])
    if workload == "wide_mlp":
        return WideEpoch(params["samples"], params["batch"], params["cost"])
    if workload == "cnn":
        return CnnEpoch(params["batch"], params["cost"], params.get("samples"))
    raise KeyError(workload)
