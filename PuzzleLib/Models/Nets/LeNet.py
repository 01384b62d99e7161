"""loadLeNet: a LeNet-style CNN (two convolution + pooling stages, then two Linear layers)."""
import numbers

from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Activation import Activation, relu
from PuzzleLib.Modules.BatchNorm2D import BatchNorm2D
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Flatten import Flatten
from PuzzleLib.Modules.Linear import Linear
from PuzzleLib.Modules.MaxPool2D import MaxPool2D


def _positive(argname, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ModuleError("loadLeNet: %s must be a positive integer, got %r" % (argname, value))
    return int(value)


def loadLeNet(modelpath=None, inmaps=1, insize=28, classes=10, maps=(16, 32), size=3, hidden=64, batchNorm=False,
              initscheme="he", name="lenet"):
    """A LeNet-style classifier for square images, returned as a ``Sequential``.

    Two stages of ``Conv2D(size, pad=size // 2)`` [+ ``BatchNorm2D``] + ReLU + ``MaxPool2D(2)``
    halve the image twice; then ``Flatten``, ``Linear(.., hidden)`` + ReLU and
    ``Linear(hidden, classes)`` give raw class scores (train them with ``CrossEntropy``).

    Parameters
    ----------
    modelpath : str or bytes, optional
        A file written by ``net.save`` to load the parameters from.
    inmaps, insize : int
        Input channels and image side (divisible by 4).
    classes : int
        Number of output scores.
    maps : (int, int)
        Channels of the two convolutions.
    size : int
        Odd kernel side of both convolutions ("same" padding).
    hidden : int
        Width of the hidden Linear layer.
    batchNorm : bool
        Put a ``BatchNorm2D`` after each convolution.
    initscheme : str
        Initialisation of every weight (as for Linear / Conv2D).
    name : str
        Name of the returned Sequential (the first part of its parameters' names in a file).

    Shape
    -----
    data: (N, inmaps, insize, insize) -> (N, classes).

    Example::

        >>> net = loadLeNet(insize=8)
        >>> net(to_gpu(np.zeros((4, 1, 8, 8), np.float32))).shape
        (4, 10)
    """
    inmaps, insize, classes = _positive("inmaps", inmaps), _positive("insize", insize), _positive("classes", classes)
    size, hidden = _positive("size", size), _positive("hidden", hidden)
    if insize % 4:
        raise ModuleError("loadLeNet: insize must be divisible by 4 (two 2x2 poolings), got %d" % insize)
    if size % 2 == 0:
        raise ModuleError("loadLeNet: size must be odd (same padding), got %d" % size)
    if not isinstance(maps, (tuple, list)) or len(maps) != 2:
        raise ModuleError("loadLeNet: maps must be two channel counts, got %r" % (maps,))
    maps = [_positive("maps", m) for m in maps]

    net = Sequential(name=name)
    prev = inmaps
    for i, m in enumerate(maps):
        net.append(Conv2D(prev, m, size, pad=size // 2, initscheme=initscheme, name="conv%d" % (i + 1)))
        if batchNorm:
            net.append(BatchNorm2D(m, name="bn%d" % (i + 1)))
        net.append(Activation(relu, name="relu%d" % (i + 1)))
        net.append(MaxPool2D(2, 2, name="pool%d" % (i + 1)))
        prev = m
    net.append(Flatten(name="flatten"))
    net.append(Linear(prev * (insize // 4) ** 2, hidden, initscheme=initscheme, name="fc1"))
    net.append(Activation(relu, name="relu3"))
    net.append(Linear(hidden, classes, initscheme=initscheme, name="fc2"))
    if modelpath is not None:
        net.load(modelpath)
    return net
