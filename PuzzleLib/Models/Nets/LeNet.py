"""loadLeNet: PuzzleLib 1.0's LeNet-5-like MNIST net, and a configurable LeNet-style CNN."""
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


def loadLeNet(modelpath=None, initscheme="none", name=None, *, inmaps=None, insize=None, classes=None, maps=None,
              size=None, hidden=None, batchNorm=None):
    """PuzzleLib 1.0's LeNet-5-like MNIST classifier or, given any of the keyword-only arguments, a
    configurable LeNet-style CNN; both are a ``Sequential`` returning raw class scores (train them
    with ``CrossEntropy``).

    PuzzleLib 1.0's net, "lenet-5-like", has unnamed modules (named by position 0..9):
    Conv2D(1, 16, 3), MaxPool2D(), relu, Conv2D(16, 32, 4), MaxPool2D(), relu, Flatten,
    Linear(800, 1024), relu, Linear(1024, 10).

    The configurable variant, "lenet": two stages of ``Conv2D(size, pad=size // 2)``
    [+ ``BatchNorm2D``] + ReLU + ``MaxPool2D(2)`` halve the image twice; then ``Flatten``,
    ``Linear(.., hidden)`` + ReLU and ``Linear(hidden, classes)``; it is initialised with "he"
    unless another ``initscheme`` is given.

    Parameters
    ----------
    modelpath : str or bytes, optional
        A file written by ``net.save`` to load the parameters from.
    initscheme : str
        Initialisation of every weight (as for Linear / Conv2D); "none" (the default) leaves
        PuzzleLib 1.0's net uninitialised, for loading a file (pass None, xavier, to train it).
    name : str, optional
        Name of the returned Sequential (default "lenet-5-like", or "lenet" for the configurable one).
    inmaps, insize : int, keyword-only
        Input channels (1) and image side (28, divisible by 4).
    classes : int, keyword-only
        Number of output scores (10).
    maps : (int, int), keyword-only
        Channels of the two convolutions ((16, 32)).
    size : int, keyword-only
        Odd kernel side of both convolutions ("same" padding; 3).
    hidden : int, keyword-only
        Width of the hidden Linear layer (64).
    batchNorm : bool, keyword-only
        Put a ``BatchNorm2D`` after each convolution (False).

    Shape
    -----
    data: (N, 1, 28, 28) -> (N, 10); configurable: (N, inmaps, insize, insize) -> (N, classes).

    Example::

        >>> net = loadLeNet(None, initscheme=None)
        >>> net.name, net.dataShapeFrom((4, 1, 28, 28)), net["7"].vars["W"].shape
        ('lenet-5-like', (4, 10), (800, 1024))
        >>> net = loadLeNet(insize=8)
        >>> net(to_gpu(np.zeros((4, 1, 8, 8), np.float32))).shape
        (4, 10)
    """
    if all(v is None for v in (inmaps, insize, classes, maps, size, hidden, batchNorm)):
        net = Sequential(name="lenet-5-like" if name is None else name)
        net.append(Conv2D(1, 16, 3, initscheme=initscheme))
        net.append(MaxPool2D())
        net.append(Activation(relu))
        net.append(Conv2D(16, 32, 4, initscheme=initscheme))
        net.append(MaxPool2D())
        net.append(Activation(relu))
        net.append(Flatten())
        net.append(Linear(32 * 5 * 5, 1024, initscheme=initscheme))
        net.append(Activation(relu))
        net.append(Linear(1024, 10, initscheme=initscheme))
        if modelpath is not None:
            net.load(modelpath)
        return net
    return _configurableLeNet(modelpath, 1 if inmaps is None else inmaps, 28 if insize is None else insize,
                              10 if classes is None else classes, (16, 32) if maps is None else maps,
                              3 if size is None else size, 64 if hidden is None else hidden, bool(batchNorm),
                              "he" if initscheme == "none" else initscheme, "lenet" if name is None else name)


def _configurableLeNet(modelpath, inmaps, insize, classes, maps, size, hidden, batchNorm, initscheme, name):
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
