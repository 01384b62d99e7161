"""loadResNet: PuzzleLib 1.0's Caffe-style bottleneck ResNet-50/101/152, and a small configurable
ResNet-style CNN (residual blocks built as Graphs with Add)."""
import numbers

from PuzzleLib.Containers.Graph import Graph
from PuzzleLib.Containers.Parallel import Parallel
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
from PuzzleLib.Modules.MaxPool2D import MaxPool2D
from PuzzleLib.Modules.Replicate import Replicate
from PuzzleLib.Modules.SoftMax import SoftMax

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


_LEVELS = {"50": (["b", "c", "d"], ["b", "c", "d", "e", "f"]),
           "101": (["b%d" % i for i in range(1, 4)], ["b%d" % i for i in range(1, 23)]),
           "152": (["b%d" % i for i in range(1, 8)], ["b%d" % i for i in range(1, 36)])}


def _unit(seq, inmaps, outmaps, size, stride, pad, convname, bnname, reluname, initscheme, actInplace, bnInplace):
    seq.append(Conv2D(inmaps, outmaps, size, stride=stride, pad=pad, useBias=False, initscheme=initscheme,
                      name=convname))
    seq.append(BatchNorm2D(outmaps, inplace=bnInplace, name=bnname))
    if reluname is not None:
        seq.append(Activation(relu, inplace=actInplace, name=reluname))


def _bottleneck(net, block, inmaps, hidden, stride, projection, initscheme, actInplace, bnInplace):
    branch = Sequential()
    _unit(branch, inmaps, hidden, 1, stride, 0, "res%s_branch2a" % block, "bn%s_branch2a" % block,
          "res%s_branch2a_relu" % block, initscheme, actInplace, bnInplace)
    _unit(branch, hidden, hidden, 3, 1, 1, "res%s_branch2b" % block, "bn%s_branch2b" % block,
          "res%s_branch2b_relu" % block, initscheme, actInplace, bnInplace)
    _unit(branch, hidden, 4 * hidden, 1, 1, 0, "res%s_branch2c" % block, "bn%s_branch2c" % block, None,
          initscheme, actInplace, bnInplace)
    shortcut = Sequential()
    if projection:
        _unit(shortcut, inmaps, 4 * hidden, 1, stride, 0, "res%s_branch1" % block, "bn%s_branch1" % block, None,
              initscheme, actInplace, bnInplace)
    else:
        shortcut.append(Identity())
    net.append(Replicate(2))
    net.append(Parallel().append(branch).append(shortcut))
    net.append(Add())
    net.append(Activation(relu, inplace=actInplace))


def _upstreamResNet(modelpath, layers, actInplace, bnInplace, initscheme, name):
    if layers not in _LEVELS:
        raise ModuleError("loadResNet: layers must be '50', '101' or '152', got %r" % (layers,))
    net = Sequential(name=name or "ResNet-%s" % layers)
    _unit(net, 3, 64, 7, 2, 3, "conv1", "bn_conv1", "conv1_relu", initscheme, actInplace, bnInplace)
    net.append(MaxPool2D(3, 2, name="pool1"))
    level3, level4 = _LEVELS[layers]
    stages = ((2, 64, 64, 1, ["b", "c"]), (3, 256, 128, 2, level3), (4, 512, 256, 2, level4),
              (5, 1024, 512, 2, ["b", "c"]))
    for level, inmaps, hidden, stride, rest in stages:
        _bottleneck(net, "%da" % level, inmaps, hidden, stride, True, initscheme, actInplace, bnInplace)
        for suffix in rest:
            _bottleneck(net, "%d%s" % (level, suffix), 4 * hidden, hidden, 1, False, initscheme, actInplace,
                        bnInplace)
    net.append(AvgPool2D(7, 1))
    net.append(Flatten())
    net.append(Linear(2048, 1000, initscheme=initscheme, name="fc1000"))
    net.append(SoftMax())
    if modelpath is not None:
        net.load(modelpath, assumeUniqueNames=True)
    return net


def loadResNet(modelpath=None, layers=None, actInplace=False, bnInplace=False, initscheme="none", name=None, *,
               inmaps=None, insize=None, classes=None, maps=None, blocks=None):
    """PuzzleLib 1.0's ResNet-50, -101 or -152 (He et al., https://arxiv.org/abs/1512.03385) in the
    Caffe layout its converted files use, or, given any of the keyword-only arguments, a small
    configurable ResNet-style classifier.

    ``layers`` gives the Caffe net: a flat ``Sequential`` "ResNet-<layers>": conv1 (7x7/2, no bias),
    bn_conv1, conv1_relu, pool1; bottleneck blocks "2a".."5c" (ResNet-101: "3b1".., "4b1"..), each
    Replicate(2), Parallel(branch: resX_branch2a/2b/2c with bnX_branch2a/2b/2c; shortcut:
    resX_branch1 + bnX_branch1 in a stage's first block, else Identity), Add and relu; then
    AvgPool2D(7), Flatten, fc1000 and SoftMax. Files load with ``assumeUniqueNames=True``; converted
    ones carry the mean image as the container attribute "mean" (``net.getAttr("mean")``).

    The configurable variant (``inmaps``, ``insize``, ``classes``, ``maps``, ``blocks``): a 3x3 stem
    (+ BN + ReLU), then one stage per entry of ``maps`` (default (16, 32)), each of ``blocks``
    residual Graph blocks (each stage after the first halves the image), global average pooling,
    Flatten and ``Linear(maps[-1], classes)``; it is initialised with "he" unless another
    ``initscheme`` is given, and named "resnet".

    Parameters
    ----------
    modelpath : str or bytes, optional
        A model file to load.
    layers : str
        "50", "101" or "152".
    actInplace, bnInplace : bool
        Run the ReLUs / BatchNorms in place.
    initscheme : str
        "none" (the default) leaves the Caffe net's weights uninitialised, for loading a file.
    name : str, optional
    inmaps, insize, classes, maps, blocks : optional, keyword-only
        Input channels (1), image side (8, divisible by ``2 ** (len(maps) - 1)``), outputs (10),
        channels per stage and residual blocks per stage (1) of the configurable variant.

    Shape
    -----
    data: (N, 3, 224, 224) -> (N, 1000) probabilities; configurable: (N, inmaps, insize, insize) ->
    (N, classes) scores.

    Example::

        >>> net = loadResNet(None, "50")
        >>> net.name, net.getByName("res4f_branch2c").vars["W"].shape, net.numOfParams()
        ('ResNet-50', (1024, 256, 1, 1), 25557032)
        >>> small = loadResNet(insize=8, maps=(8, 16))
        >>> small(to_gpu(np.zeros((2, 1, 8, 8), np.float32))).shape
        (2, 10)
    """
    if all(v is None for v in (inmaps, insize, classes, maps, blocks)):
        if layers is None:
            raise ModuleError("loadResNet: layers must be '50', '101' or '152' (or give the configurable variant's "
                              "inmaps/insize/classes/maps/blocks)")
        return _upstreamResNet(modelpath, layers, actInplace, bnInplace, initscheme, name)
    if layers is not None:
        raise ModuleError("loadResNet: give layers (PuzzleLib 1.0's nets) or the configurable variant's "
                          "inmaps/insize/classes/maps/blocks, not both")
    return _smallResNet(modelpath, 1 if inmaps is None else inmaps, 8 if insize is None else insize,
                        10 if classes is None else classes, (16, 32) if maps is None else maps,
                        1 if blocks is None else blocks, "he" if initscheme == "none" else initscheme,
                        "resnet" if name is None else name)


def _smallResNet(modelpath, inmaps, insize, classes, maps, blocks, initscheme, name):
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
