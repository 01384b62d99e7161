"""PuzzleLib workloads, written as a user of the library writes them (Sequential, Trainer, to_gpu).

Step and epoch times go through ``Trainer.train`` on device data: the loop the library runs for
its users, with its batch order, cost accumulation and per-batch bookkeeping.
"""
import numpy as np

import common
from PuzzleLib import Config

Config.backend = Config.Backend.cpu

# imported in the tutorial's order
from PuzzleLib.Modules import Activation, Linear  # noqa: E402
from PuzzleLib.Modules.Activation import relu  # noqa: E402
from PuzzleLib.Containers import Sequential  # noqa: E402
from PuzzleLib.Optimizers import MomentumSGD  # noqa: E402
from PuzzleLib.Handlers import Trainer  # noqa: E402
from PuzzleLib.Backend.gpuarray import to_gpu  # noqa: E402
import PuzzleLib.Cost as Cost  # noqa: E402
import PuzzleLib.Modules as Modules  # noqa: E402

CNN_MODULES = ("Conv2D", "MaxPool2D", "Flatten")
IMAGE_MODULES = ("Conv2D", "BatchNorm2D", "MaxPool2D", "Flatten")


def probe():
    import PuzzleLib
    return {
        "version": getattr(PuzzleLib, "__version__", None),
        "hasCrossEntropy": hasattr(Cost, "CrossEntropy"),
        "cnnModulesMissing": [name for name in CNN_MODULES if not hasattr(Modules, name)],
        "imageModulesMissing": [name for name in IMAGE_MODULES if not hasattr(Modules, name)],
    }


def tutorialNet():
    np.random.seed(1234)
    net = Sequential()
    net.append(Linear(insize=1, outsize=common.TUTORIAL_HIDDEN, initscheme="gaussian"))
    net.append(Activation(activation=relu))
    net.append(Linear(insize=common.TUTORIAL_HIDDEN, outsize=1, initscheme="gaussian"))
    return net


def _trainer(net, cost, batch, lr, momentum):
    optimizer = MomentumSGD(learnRate=lr, momRate=momentum)
    optimizer.setupOn(net)
    return Trainer(net, cost, optimizer, batchsize=batch)


class TutorialStep:
    """``Trainer.train`` over 1000 device samples; a unit is one step."""

    def __init__(self, batch):
        X, Y = common.tutorialData()
        self.X = to_gpu(X[:common.STEP_SAMPLES])
        self.Y = to_gpu(Y[:common.STEP_SAMPLES])
        self.trainer = _trainer(tutorialNet(), Cost.MSE(), batch, common.TUTORIAL_LR, common.TUTORIAL_MOMENTUM)
        self.steps = common.stepsPerEpoch(common.STEP_SAMPLES, batch)

    def block(self):
        self.trainer.train(self.X, self.Y)
        return self.steps

    def info(self):
        return {"error": float(self.trainer.cost.getMeanError())}


class TutorialFull:
    """The tutorial's trainNetPL: ``epochs`` x ``trainFromHost(XC, YC, macroBatchSize=1000, ...)``."""

    def __init__(self, epochs, batch):
        self.X, self.Y = common.tutorialData()
        self.epochs, self.batch = epochs, batch
        self.errors = []

    def block(self):
        net = tutorialNet()
        trainer = _trainer(net, Cost.MSE(), self.batch, common.TUTORIAL_LR, common.TUTORIAL_MOMENTUM)
        errors = self.errors = []

        def onMacroBatchFinish(train):
            errors.append(train.cost.getMeanError())

        for _ in range(self.epochs):
            trainer.trainFromHost(self.X, self.Y, macroBatchSize=common.TUTORIAL_MACRO,
                                  onMacroBatchFinish=onMacroBatchFinish)
        return 1

    def info(self):
        return {"error": float(self.errors[-1]) if self.errors else None}


def wideNet():
    np.random.seed(1234)
    sizes = common.WIDE_SIZES
    net = Sequential()
    for i, (fin, fout) in enumerate(zip(sizes[:-1], sizes[1:])):
        net.append(Linear(fin, fout, initscheme="he"))
        if i < len(sizes) - 2:
            net.append(Activation(relu))
    return net


def wideCost(cost):
    """(cost object, which target array to use): cross entropy on labels, or MSE on one-hot rows."""
    if cost == "ce":
        return Cost.CrossEntropy(), "labels"
    return Cost.MSE(), "onehot"


class WideEpoch:
    """One epoch of the wide MLP through ``Trainer.train``; a unit is one epoch."""

    def __init__(self, samples, batch, cost):
        X, labels, onehot = common.wideData(samples)
        costObj, kind = wideCost(cost)
        self.X = to_gpu(X)
        self.T = to_gpu(labels if kind == "labels" else onehot)
        self.trainer = _trainer(wideNet(), costObj, batch, common.WIDE_LR, common.WIDE_MOMENTUM)

    def block(self):
        self.trainer.train(self.X, self.T)
        return 1

    def info(self):
        return {"error": float(self.trainer.cost.getMeanError())}


def cnnNet():
    """LeNet-style for 8x8 inputs: two conv(3x3, pad 1) + relu + maxpool(2) stages, then 128 -> 64 -> 10."""
    np.random.seed(1234)
    net = Sequential()
    net.append(Modules.Conv2D(1, 16, 3, pad=1, initscheme="he"))
    net.append(Activation(relu))
    net.append(Modules.MaxPool2D(2, 2))
    net.append(Modules.Conv2D(16, 32, 3, pad=1, initscheme="he"))
    net.append(Activation(relu))
    net.append(Modules.MaxPool2D(2, 2))
    net.append(Modules.Flatten())
    net.append(Linear(32 * 2 * 2, 64, initscheme="he"))
    net.append(Activation(relu))
    net.append(Linear(64, 10, initscheme="he"))
    return net


class CnnEpoch:
    """One epoch of the LeNet-style net on the digits; a unit is one epoch."""

    def __init__(self, batch, cost, samples=None):
        X, labels, _ = common.digitsData()
        X, labels = X[:samples], labels[:samples]
        costObj, kind = wideCost(cost)
        self.X = to_gpu(X)
        if kind == "labels":
            self.T = to_gpu(labels)
        else:
            onehot = np.zeros((labels.shape[0], 10), dtype=np.float32)
            onehot[np.arange(labels.shape[0]), labels] = 1.0
            self.T = to_gpu(onehot)
        self.trainer = _trainer(cnnNet(), costObj, batch, common.CNN_LR, common.CNN_MOMENTUM)

    def block(self):
        self.trainer.train(self.X, self.T)
        return 1

    def info(self):
        return {"error": float(self.trainer.cost.getMeanError())}


def vggNet():
    """conv3x3(3->32)-BN-relu, conv3x3(32->32)-BN-relu, maxpool 2, conv3x3(32->64)-BN-relu,
    conv3x3(64->64)-BN-relu, maxpool 2, linear(4096->10)."""
    np.random.seed(1234)
    net = Sequential()
    for i, (fin, fout) in enumerate(((3, 32), (32, 32), (32, 64), (64, 64))):
        net.append(Modules.Conv2D(fin, fout, 3, pad=1, initscheme="he"))
        net.append(Modules.BatchNorm2D(fout))
        net.append(Activation(relu))
        if i % 2:
            net.append(Modules.MaxPool2D(2, 2))
    net.append(Modules.Flatten())
    net.append(Linear(64 * 8 * 8, 10, initscheme="he"))
    return net


def resNet():
    """The library's own loadResNet on 32x32x3 images (3x3 convs, 1x1 projections, residual adds)."""
    from PuzzleLib.Models.Nets.ResNet import loadResNet
    np.random.seed(1234)
    return loadResNet(inmaps=3, insize=32, maps=common.RESNET_MAPS, blocks=common.RESNET_BLOCKS)


class ImageStep:
    """``Trainer.train`` over ``steps`` full batches of 32x32x3 images; a unit is one step."""

    def __init__(self, net, batch, steps, cost):
        X, labels = common.imageData(batch * steps)
        costObj, kind = wideCost(cost)
        self.X = to_gpu(X)
        onehot = np.zeros((labels.shape[0], 10), dtype=np.float32)
        onehot[np.arange(labels.shape[0]), labels] = 1.0
        self.T = to_gpu(labels if kind == "labels" else onehot)
        self.trainer = _trainer(net, costObj, batch, common.IMAGE_LR, common.IMAGE_MOMENTUM)
        self.steps = steps

    def block(self):
        self.trainer.train(self.X, self.T)
        return self.steps

    def info(self):
        return {"error": float(self.trainer.cost.getMeanError())}


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
