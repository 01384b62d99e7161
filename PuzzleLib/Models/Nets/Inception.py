"""loadInceptionBN and loadInceptionV3: PuzzleLib 1.0's converted Inception nets."""
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Models.Nets._fork import fork, split
from PuzzleLib.Modules.Activation import Activation, relu
from PuzzleLib.Modules.AvgPool2D import AvgPool2D
from PuzzleLib.Modules.BatchNorm2D import BatchNorm2D
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Flatten import Flatten
from PuzzleLib.Modules.Linear import Linear
from PuzzleLib.Modules.MaxPool2D import MaxPool2D
from PuzzleLib.Modules.SoftMax import SoftMax


class _Units:
    """Appends conv-BN-relu units (conv without bias) named by a pattern."""

    def __init__(self, pattern, initscheme, actInplace, bnInplace):
        self.pattern, self.initscheme, self.actInplace, self.bnInplace = pattern, initscheme, actInplace, bnInplace

    def __call__(self, seq, unit, inmaps, outmaps, size, stride=1, pad=0, bnInplace=None):
        conv, bn, act = (self.pattern(unit, kind) for kind in ("conv", "bn", "relu"))
        seq.append(Conv2D(inmaps, outmaps, size, stride=stride, pad=pad, useBias=False, initscheme=self.initscheme,
                          name=conv))
        seq.append(BatchNorm2D(outmaps, inplace=self.bnInplace if bnInplace is None else bnInplace, name=bn))
        seq.append(Activation(relu, inplace=self.actInplace, name=act))
        return seq


def _block(net, name, branches, flatten=False):
    fork(net, branches, "ch_concat_%s_chconcat" % name, flatten=flatten)


def loadInceptionBN(modelpath, actInplace=False, bnInplace=False, initscheme="none", name="Inception-BN-0126"):
    """Inception with batch normalisation (Ioffe and Szegedy, https://arxiv.org/abs/1502.03167) as
    converted from MXNet by PuzzleLib 1.0: conv-BN-relu units ``conv_<u>``, ``bn_<u>``, ``relu_<u>``
    (u = "<block>_<branch>", e.g. "3a_double_3x3_0"), inception blocks 3a..5b (each Replicate,
    Parallel of branch Sequentials and Concat "ch_concat_<block>_chconcat"), then global_pool
    AvgPool2D(7), flatten, fc1 (1024 -> 1000) and softmax. Files load with
    ``assumeUniqueNames=True``.

    Parameters
    ----------
    modelpath : str, optional
        A model file to load.
    actInplace, bnInplace : bool
        Run the ReLUs / BatchNorms in place.
    initscheme : str
        "none" (the default) leaves weights uninitialised, for loading a file.
    name : str

    Shape
    -----
    data: (N, 3, 224, 224) -> (N, 1000) probabilities.

    Example::

        >>> net = loadInceptionBN(None)
        >>> net.dataShapeFrom((1, 3, 224, 224)), net.getByName("conv_4e_double_3x3_1").vars["W"].shape
        ((1, 1000), (256, 256, 3, 3))
    """
    unit = _Units(lambda u, kind: "%s_%s" % (kind, u), initscheme, actInplace, bnInplace)
    net = Sequential(name=name)
    unit(net, "1", 3, 64, 7, stride=2, pad=3)
    net.append(MaxPool2D(3, 2, 1, name="pool_1"))
    unit(net, "2_red", 64, 64, 1)
    unit(net, "2", 64, 192, 3, pad=1)
    net.append(MaxPool2D(3, 2, 1, name="pool_2"))

    regular = {"3a": (192, 64, 64, 64, 64, 96, 96, 32), "3b": (256, 64, 64, 96, 64, 96, 96, 64),
               "4a": (576, 224, 64, 96, 96, 128, 128, 128), "4b": (576, 192, 96, 128, 96, 128, 128, 128),
               "4c": (576, 160, 128, 160, 128, 160, 160, 128), "4d": (608, 96, 128, 192, 160, 192, 192, 128),
               "5a": (1056, 352, 192, 320, 160, 224, 224, 128), "5b": (1024, 352, 192, 320, 192, 224, 224, 128)}
    shrink = {"3c": (320, 128, 160, 64, 96, 96), "4e": (608, 128, 192, 192, 256, 256)}

    def regularBlock(b):
        inmaps, b1, red, b3, dred, d0, d1, proj = regular[b]
        one = unit(Sequential(), b + "_1x1", inmaps, b1, 1)
        three = unit(unit(Sequential(), b + "_3x3_reduce", inmaps, red, 1), b + "_3x3", red, b3, 3, pad=1)
        double = unit(Sequential(), b + "_double_3x3_reduce", inmaps, dred, 1)
        unit(double, b + "_double_3x3_0", dred, d0, 3, pad=1)
        unit(double, b + "_double_3x3_1", d0, d1, 3, pad=1)
        pool = unit(Sequential().append(AvgPool2D(3, 1, 1)), b + "_proj", inmaps, proj, 1)
        _block(net, b, [one, three, double, pool])

    def shrinkBlock(b):
        inmaps, red, b3, dred, d0, d1 = shrink[b]
        three = unit(unit(Sequential(), b + "_3x3_reduce", inmaps, red, 1), b + "_3x3", red, b3, 3, stride=2, pad=1)
        double = unit(Sequential(), b + "_double_3x3_reduce", inmaps, dred, 1)
        unit(double, b + "_double_3x3_0", dred, d0, 3, pad=1)
        unit(double, b + "_double_3x3_1", d0, d1, 3, stride=2, pad=1)
        _block(net, b, [three, double, Sequential().append(MaxPool2D(3, 2, 1))])

    for b in ("3a", "3b"):
        regularBlock(b)
    shrinkBlock("3c")
    for b in ("4a", "4b", "4c", "4d"):
        regularBlock(b)
    shrinkBlock("4e")
    for b in ("5a", "5b"):
        regularBlock(b)
    net.append(AvgPool2D(7, 1, name="global_pool"))
    net.append(Flatten(name="flatten"))
    net.append(Linear(1024, 1000, initscheme=initscheme, name="fc1"))
    net.append(SoftMax(name="softmax"))
    if modelpath is not None:
        net.load(modelpath, assumeUniqueNames=True)
    return net


def loadInceptionV3(modelpath, actInplace=False, bnInplace=False, initscheme="none", name="Inception-7-0001"):
    """Inception-v3 (Szegedy et al., https://arxiv.org/abs/1512.00567) as converted from MXNet's
    "Inception-7" by PuzzleLib 1.0 (1008 classes): conv-BN-relu units ``<u>_conv2d``,
    ``<u>_batchnorm``, ``<u>_relu`` (u e.g. "mixed_4_tower_1_conv_3"), blocks mixed..mixed_10 (each
    Replicate, Parallel of towers and Concat "ch_concat_<block>_chconcat"), then global_pool
    AvgPool2D(8), flatten, fc1 (2048 -> 1008, xavier whatever ``initscheme`` says, as upstream) and
    softmax. Files load with ``assumeUniqueNames=True``.

    The towers of mixed_9 and mixed_10 end in a split (Replicate, Parallel of a (1, 3) and a (3, 1)
    unit), so those blocks put a ToList before their Concat to flatten the nested outputs.

    Parameters
    ----------
    modelpath : str, optional
        A model file to load.
    actInplace, bnInplace : bool
        Run the ReLUs / BatchNorms in place (the stem's BatchNorms never are).
    initscheme : str
        "none" (the default) leaves weights uninitialised, for loading a file.
    name : str

    Shape
    -----
    data: (N, 3, 299, 299) -> (N, 1008) probabilities.

    Example::

        >>> net = loadInceptionV3(None)
        >>> net.dataShapeFrom((1, 3, 299, 299)), net.getByName("mixed_4_tower_conv_1_conv2d").vars["W"].shape
        ((1, 1008), (128, 128, 1, 7))
    """
    unit = _Units(lambda u, kind: "%s_%s" % (u, {"conv": "conv2d", "bn": "batchnorm", "relu": "relu"}[kind]),
                  initscheme, actInplace, bnInplace)
    net = Sequential(name=name)
    unit(net, "conv", 3, 32, 3, stride=2, bnInplace=False)
    unit(net, "conv_1", 32, 32, 3, bnInplace=False)
    unit(net, "conv_2", 32, 64, 3, pad=1, bnInplace=False)
    net.append(MaxPool2D(3, 2, name="pool"))
    unit(net, "conv_3", 64, 80, 1, bnInplace=False)
    unit(net, "conv_4", 80, 192, 3, bnInplace=False)
    net.append(MaxPool2D(3, 2, name="pool1"))

    def tower(b, tname, inmaps, steps):
        seq = Sequential()
        for i, (outmaps, size, stride, pad) in enumerate(steps):
            unit(seq, "%s_%s_conv%s" % (b, tname, "" if i == 0 else "_%d" % i), inmaps, outmaps, size, stride, pad)
            inmaps = outmaps
        return seq, inmaps

    def pooled(Pool, b, inmaps, outmaps):
        seq = Sequential().append(Pool(3, 1, 1))
        return unit(seq, "%s_tower_2_conv" % b, inmaps, outmaps, 1)

    for b, inmaps, proj in (("mixed", 192, 32), ("mixed_1", 256, 64), ("mixed_2", 288, 64)):
        _block(net, b, [unit(Sequential(), b + "_conv", inmaps, 64, 1),
                        tower(b, "tower", inmaps, [(48, 1, 1, 0), (64, 5, 1, 2)])[0],
                        tower(b, "tower_1", inmaps, [(64, 1, 1, 0), (96, 3, 1, 1), (96, 3, 1, 1)])[0],
                        pooled(AvgPool2D, b, inmaps, proj)])

    _block(net, "mixed_3", [unit(Sequential(), "mixed_3_conv", 288, 384, 3, stride=2),
                            tower("mixed_3", "tower", 288, [(64, 1, 1, 0), (96, 3, 1, 1), (96, 3, 2, 0)])[0],
                            Sequential().append(MaxPool2D(3, 2))])

    for b, c in (("mixed_4", 128), ("mixed_5", 160), ("mixed_6", 160), ("mixed_7", 192)):
        _block(net, b, [unit(Sequential(), b + "_conv", 768, 192, 1),
                        tower(b, "tower", 768, [(c, 1, 1, 0), (c, (1, 7), 1, (0, 3)), (192, (7, 1), 1, (3, 0))])[0],
                        tower(b, "tower_1", 768, [(c, 1, 1, 0), (c, (7, 1), 1, (3, 0)), (c, (1, 7), 1, (0, 3)),
                                                  (c, (7, 1), 1, (3, 0)), (192, (1, 7), 1, (0, 3))])[0],
                        pooled(AvgPool2D, b, 768, 192)])

    _block(net, "mixed_8", [tower("mixed_8", "tower", 768, [(192, 1, 1, 0), (320, 3, 2, 0)])[0],
                            tower("mixed_8", "tower_1", 768, [(192, 1, 1, 0), (192, (1, 7), 1, (0, 3)),
                                                              (192, (7, 1), 1, (3, 0)), (192, 3, 2, 0)])[0],
                            Sequential().append(MaxPool2D(3, 2))])

    def forked(b, tname, seq, inmaps):
        return split(seq, [unit(Sequential(), "%s_%s_mixed_conv" % (b, tname), inmaps, 384, (1, 3), pad=(0, 1)),
                          unit(Sequential(), "%s_%s_mixed_conv_1" % (b, tname), inmaps, 384, (3, 1), pad=(1, 0))])

    for b, inmaps, Pool in (("mixed_9", 1280, AvgPool2D), ("mixed_10", 2048, MaxPool2D)):
        t, m = tower(b, "tower", inmaps, [(384, 1, 1, 0)])
        t1, m1 = tower(b, "tower_1", inmaps, [(448, 1, 1, 0), (384, 3, 1, 1)])
        _block(net, b, [unit(Sequential(), b + "_conv", inmaps, 320, 1), forked(b, "tower", t, m),
                        forked(b, "tower_1", t1, m1), pooled(Pool, b, inmaps, 192)], flatten=True)

    net.append(AvgPool2D(8, 1, name="global_pool"))
    net.append(Flatten(name="flatten"))
    net.append(Linear(2048, 1008, name="fc1"))
    net.append(SoftMax(name="softmax"))
    if modelpath is not None:
        net.load(modelpath, assumeUniqueNames=True)
    return net
