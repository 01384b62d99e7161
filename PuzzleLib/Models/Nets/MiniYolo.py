"""loadMiniYolo: PuzzleLib 1.0's YOLO (v1) detection net."""
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Modules.Activation import Activation, leakyRelu, relu
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Flatten import Flatten
from PuzzleLib.Modules.Linear import Linear
from PuzzleLib.Modules.MaxPool2D import MaxPool2D
from PuzzleLib.Modules.SoftMax import SoftMax

# (inmaps, outmaps, size, stride, pool after it)
_CONVS = [(3, 64, 7, 2, True), (64, 192, 3, 1, True),
          (192, 128, 1, 1, False), (128, 256, 3, 1, False), (256, 256, 1, 1, False), (256, 512, 3, 1, True)] + \
         [(512, 256, 1, 1, False), (256, 512, 3, 1, False)] * 4 + [(512, 512, 1, 1, False), (512, 1024, 3, 1, True)] + \
         [(1024, 512, 1, 1, False), (512, 1024, 3, 1, False), (1024, 512, 1, 1, False), (512, 1024, 3, 1, False),
          (1024, 1024, 3, 1, False), (1024, 1024, 3, 2, False), (1024, 1024, 3, 1, False), (1024, 1024, 3, 1, False)]


def loadMiniYolo(modelpath, numOutput, actInplace=False, initscheme="none"):
    """The YOLO detection net (Redmon et al., https://arxiv.org/abs/1506.02640) as PuzzleLib 1.0
    builds it, a flat ``Sequential`` "YOLONet": convolutions conv1..conv24 (pad size // 2), each
    followed by an unnamed leakyRelu(0.01), blocks ending in 2x2 pools "conv<last>_pool"; then
    Flatten, fc25 (50176 -> 512), fc_relu24, fc26 (512 -> 4096), fc_relu25, fc27 (4096 ->
    ``numOutput``) and SoftMax over all outputs.

    Parameters
    ----------
    modelpath : str, optional
        A model file to load (full names, e.g. "YOLONet.conv1.W").
    numOutput : int
        Outputs of fc27.
    actInplace : bool
        Run the activations in place.
    initscheme : str
        "none" (the default) leaves weights uninitialised, for loading a file.

    Shape
    -----
    data: (N, 3, 448, 448) -> (N, numOutput).

    Example::

        >>> net = loadMiniYolo(None, 1470)
        >>> net.dataShapeFrom((1, 3, 448, 448)), net.getByName("conv24").vars["W"].shape
        ((1, 1470), (1024, 1024, 3, 3))
    """
    net = Sequential(name="YOLONet")
    for i, (inmaps, outmaps, size, stride, pool) in enumerate(_CONVS, start=1):
        net.append(Conv2D(inmaps, outmaps, size, stride=stride, pad=size // 2, initscheme=initscheme,
                          name="conv%d" % i))
        net.append(Activation(leakyRelu, inplace=actInplace, args=(0.01,)))
        if pool:
            net.append(MaxPool2D(2, 2, name="conv%d_pool" % i))
    net.append(Flatten())
    net.append(Linear(1024 * 7 * 7, 512, initscheme=initscheme, name="fc25"))
    net.append(Activation(relu, inplace=actInplace, name="fc_relu24"))
    net.append(Linear(512, 4096, initscheme=initscheme, name="fc26"))
    net.append(Activation(relu, inplace=actInplace, name="fc_relu25"))
    net.append(Linear(4096, numOutput, initscheme=initscheme, name="fc27"))
    net.append(SoftMax())
    if modelpath is not None:
        net.load(modelpath)
    return net
