"""loadUNet: PuzzleLib 1.0's U-Net for one-channel segmentation."""
from PuzzleLib.Containers.Parallel import Parallel
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Modules.Activation import Activation, relu, sigmoid
from PuzzleLib.Modules.Concat import Concat
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Deconv2D import Deconv2D
from PuzzleLib.Modules.Dropout import Dropout
from PuzzleLib.Modules.Identity import Identity
from PuzzleLib.Modules.MaxPool2D import MaxPool2D
from PuzzleLib.Modules.Replicate import Replicate


def loadUNet(modelpath, actInplace=False, initscheme="none"):
    """U-Net (Ronneberger et al., https://arxiv.org/abs/1505.04597) with PuzzleLib 1.0's nesting
    and names, so its files load with full names ("unet.fork_1.block_2.conv_2_1.W"): encoder
    Sequentials block_1..block_5 (64 .. 1024 maps; block_k > 1 starts with pool{k-1}; blocks 4
    and 5 add Dropout drop4/drop5; block_5 ends with the upscore1 deconvolution), each of blocks
    1..4 followed by Replicate(2), Parallel "fork_k" (block_{k+1}, "shortcut_{k+1}" holding an
    Identity), Concat "concat{5-k}" and decoder block_{10-k}'s modules; block_9 ends with the 1x1
    "score" convolution and a sigmoid. The root "unet" holds block_1's modules.

    Parameters
    ----------
    modelpath : str, optional
        A model file to load.
    actInplace : bool
        Run the ReLUs in place.
    initscheme : str
        "none" (the default) leaves weights uninitialised, for loading a file.

    Shape
    -----
    data: (N, 1, H, W) -> (N, 1, H, W) probabilities, H and W divisible by 16.

    Example::

        >>> net = loadUNet(None)
        >>> net.dataShapeFrom((1, 1, 64, 48))
        (1, 1, 64, 48)
        >>> names = [name for names in net.getVarTable().values() for name in names]
        >>> names[0], "fork_1.block_2.fork_2.block_3.conv_7_1.W" in names
        ('conv_1_1.W', True)
    """
    relus = iter(range(1, 100))

    def conv(seq, inmaps, outmaps, convname, size=3, pad=1):
        seq.append(Conv2D(inmaps, outmaps, size, pad=pad, initscheme=initscheme, name=convname))
        seq.append(Activation(relu, inplace=actInplace, name="relu%d" % next(relus)))

    encoders = []
    maps = (64, 128, 256, 512, 1024)
    for k, m in enumerate(maps, start=1):
        block = Sequential(name="block_%d" % k)
        if k > 1:
            block.append(MaxPool2D(2, 2, name="pool%d" % (k - 1)))
        conv(block, 1 if k == 1 else m // 2, m, "conv_%d_1" % k)
        conv(block, m, m, "conv_%d_2" % k)
        if k >= 4:
            block.append(Dropout(name="drop%d" % k))
        if k == 5:
            block.append(Deconv2D(1024, 512, 2, stride=2, useBias=False, initscheme=initscheme, name="upscore1"))
            block.append(Activation(relu, inplace=actInplace, name="relu%d" % next(relus)))
        encoders.append(block)

    decoders = {}
    for j in range(6, 10):
        block = Sequential(name="block_%d" % j)
        inmaps = 2 ** (16 - j)
        out = inmaps // 2
        conv(block, inmaps, out, "conv_%d_1" % j)
        conv(block, out, out, "conv_%d_2" % j)
        if j < 9:
            block.append(Deconv2D(out, out // 2, 2, stride=2, useBias=False, initscheme=initscheme,
                                  name="upscore%d" % (j - 4)))
            conv(block, out // 2, out // 2, "conv_%d_3" % j)
        else:
            block.append(Conv2D(64, 1, 1, initscheme=initscheme, name="score"))
            block.append(Activation(sigmoid))
        decoders[j] = block

    # innermost first: block_k gets its fork, concat and decoder; then it is the next outer fork's branch
    for k in range(4, 0, -1):
        block = encoders[k - 1]
        block.append(Replicate(2))
        fork = Parallel(name="fork_%d" % k)
        fork.append(encoders[k])
        fork.append(Sequential(name="shortcut_%d" % (k + 1)).append(Identity()))
        block.append(fork)
        block.append(Concat(axis=1, name="concat%d" % (5 - k)))
        block.extend(list(decoders[10 - k]))

    net = Sequential(name="unet")
    net.extend(list(encoders[0]))
    if modelpath is not None:
        net.load(modelpath)
    return net
