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


def vggNet():
    torch.manual_seed(1234)
    layers = []
    for i, (fin, fout) in enumerate(((3, 32), (32, 32), (32, 64), (64, 64))):
        layers += [nn.Conv2d(fin, fout, 3, padding=1), nn.BatchNorm2d(fout), nn.ReLU()]
        if i % 2:
            layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 8 * 8, 10))


class _Block(nn.Module):
    """PuzzleLib's residualBlock: relu(conv3x3-BN-relu-conv3x3-BN + shortcut), the shortcut a
    strided 1x1 conv + BN where the shape changes."""

    def __init__(self, inmaps, outmaps, stride):
        super().__init__()
        self.branch = nn.Sequential(
            nn.Conv2d(inmaps, outmaps, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(outmaps), nn.ReLU(),
            nn.Conv2d(outmaps, outmaps, 3, padding=1, bias=False), nn.BatchNorm2d(outmaps))
        self.skip = nn.Identity()
        if stride != 1 or inmaps != outmaps:
            self.skip = nn.Sequential(nn.Conv2d(inmaps, outmaps, 1, stride=stride, bias=False), nn.BatchNorm2d(outmaps))

    def forward(self, x):
        return torch.relu(self.branch(x) + self.skip(x))


def resNet():
    """The same net as PuzzleLib's loadResNet(inmaps=3, insize=32, maps=RESNET_MAPS, blocks=RESNET_BLOCKS)."""
    torch.manual_seed(1234)
    maps = common.RESNET_MAPS
    layers = [nn.Conv2d(3, maps[0], 3, padding=1, bias=False), nn.BatchNorm2d(maps[0]), nn.ReLU()]
    prev = maps[0]
    for stage, m in enumerate(maps):
        for b in range(common.RESNET_BLOCKS):
            layers.append(_Block(prev, m, 2 if stage > 0 and b == 0 else 1))
            prev = m
    side = 32 // 2 ** (len(maps) - 1)
    return nn.Sequential(*layers, nn.AvgPool2d(side), nn.Flatten(), nn.Linear(prev, 10))


class ImageStep(_Epochs):
    """``steps`` full batches of 32x32x3 images; a unit is one step."""

    def __init__(self, net, batch, steps, cost):
        X, labels = common.imageData(batch * steps)
        onehot = np.zeros((labels.shape[0], 10), dtype=np.float32)
        onehot[np.arange(labels.shape[0]), labels] = 1.0
        self._setup(X, labels, onehot, cost, net, common.IMAGE_LR, common.IMAGE_MOMENTUM, batch)
        self.steps = steps

    def block(self):
        super().block()
        return self.steps


def build(workload, params):
    if workload == "tutorial_step":
        return TutorialStep(params["batch"])
    if workload == "tutorial_full":
        return TutorialFull(params["epochs"], params["batch"])
    if workload == "wide_mlp":
        return WideEpoch(params["samples"], params["batch"], params["cost"])
    if workload == "cnn":
        return CnnEpoch(params["batch"], params["cost"], params.get("samples"))
    if workload == "vgg":
        return ImageStep(vggNet(), params["batch"], params["steps"], params["cost"])
    if workload == "resnet":
        return ImageStep(resNet(), params["batch"], params["steps"], params["cost"])
    raise KeyError(workload)
