"""loadResNet: a small ResNet-style CNN (residual blocks built as Graphs with Add)."""
import numbers

from PuzzleLib.Containers.Graph import Graph
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Activation import Activation, relu
from PuzzleLib.Modules.Add import Add
from PuzzleLib.Modules.AvgPool2D import AvgPool2D
from PuzzleLib.Modules.BatchNorm2D import BatchNorm2D
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Flatten import Flatten
from PuzzleLib.Modules.Identity import Identity
from PuzzleLib.Modules.Linear import Linear


def residualBlock(inmaps, outmaps, stride=1, initscheme="he", name=None):
    """``relu(branch(x) + shortcut(x))`` as a Graph, where the branch is conv3x3-BN-ReLU-conv3x3-BN
    and the shortcut is the identity, or a strided 1x1 conv + BN where the shape changes."""
    inp = Identity(name="in").node()
    h = Conv2D(inmaps, outmaps, 3, stride=stride, pad=1, useBias=False, initscheme=initscheme, name="conv1").node(inp)
    h = BatchNorm2D(outmaps, name="bn1").node(h)
    h = Activation(relu, name="relu1").node(h)
    h = Conv2D(outmaps, outmaps, 3, pad=1, useBias=False, initscheme=initscheme, name="conv2").node(h)
    h = BatchNorm2D(outmaps, name="bn2").node(h)
    skip = inp
    if stride != 1 or inmaps != outmaps:
        skip = Conv2D(inmaps, outmaps, 1, stride=stride, useBias=False, initscheme=initscheme, name="proj").node(inp)
        skip = BatchNorm2D(outmaps, name="projbn").node(skip)
    out = Add(name="add").node(h, skip)
    out = Activation(relu, name="relu2").node(out)
    return Graph(inputs=inp, outputs=out, name=name)


def loadResNet(modelpath=None, inmaps=1, insize=8, classes=10, maps=(16, 32), blocks=1, initscheme="he",
               name="resnet"):
    """A small ResNet-style classifier, returned as a ``Sequential``.

    A 3x3 convolution stem (+ BN + ReLU), then one stage per entry of ``maps``, each of
    ``blocks`` residual blocks (every stage after the first halves the image with a stride-2
    block), then global average pooling, ``Flatten`` and ``Linear(maps[-1], classes)``.

    Parameters
    ----------
    modelpath : str or bytes, optional
        A file written by ``net.save`` to load the parameters from.
    inmaps, insize : int
        Input channels and image side (divisible by ``2 ** (len(maps) - 1)``).
    classes : int
        Number of output scores.
    maps : sequence of int
        Channels of each stage.
    blocks : int
        Residual blocks per stage.
    initscheme : str
        Initialisation of every weight (as for Linear / Conv2D).
    name : str
        Name of the returned Sequential (the first part of its parameters' names in a file).

    Shape
    -----
    data: (N, inmaps, insize, insize) -> (N, classes).

    Example::

        >>> net = loadResNet(insize=8, maps=(8, 16))
        >>> net(to_gpu(np.zeros((2, 1, 8, 8), np.float32))).shape
        (2, 10)
    """
    for argname, value in (("inmaps", inmaps), ("insize", insize), ("classes", classes), ("blocks", blocks)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
            raise ModuleError("loadResNet: %s must be a positive integer, got %r" % (argname, value))
    if not isinstance(maps, (tuple, list)) or not maps or not all(
            isinstance(m, numbers.Integral) and not isinstance(m, bool) and m > 0 for m in maps):
        raise ModuleError("loadResNet: maps must be a non-empty sequence of positive integers, got %r" % (maps,))
    scale = 2 ** (len(maps) - 1)
    if insize % scale:
        raise ModuleError("loadResNet: insize must be divisible by %d for %d stages, got %d" % (
            scale, len(maps), insize))

    net = Sequential(name=name)
    net.append(Conv2D(inmaps, maps[0], 3, pad=1, useBias=False, initscheme=initscheme, name="stem"))
    net.append(BatchNorm2D(maps[0], name="stembn"))
    net.append(Activation(relu, name="stemrelu"))
    prev = maps[0]
    for stage, m in enumerate(maps):
        for b in range(blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            net.append(residualBlock(prev, m, stride, initscheme, name="block%d_%d" % (stage + 1, b + 1)))
            prev = m
    side = insize // scale
    net.append(AvgPool2D(side, side, name="gap"))
    net.append(Flatten(name="flatten"))
    net.append(Linear(prev, classes, initscheme=initscheme, name="fc"))
    if modelpath is not None:
        net.load(modelpath)
    return net
