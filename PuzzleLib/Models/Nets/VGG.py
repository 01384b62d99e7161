"""loadVGG: the VGG 11/16/19 ImageNet classifiers, with PuzzleLib 1.0's module names."""
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Activation import Activation, relu
from PuzzleLib.Modules.AvgPool2D import AvgPool2D
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Flatten import Flatten
from PuzzleLib.Modules.Linear import Linear
from PuzzleLib.Modules.MaxPool2D import MaxPool2D
from PuzzleLib.Modules.SoftMax import SoftMax

_CONVS = {"11": (1, 1, 2, 2, 2), "16": (2, 2, 3, 3, 3), "19": (2, 2, 4, 4, 4)}
_MAPS = (64, 128, 256, 512, 512)


def loadVGG(modelpath, layers, poolmode="max", initscheme="none", withLinear=True, actInplace=False, name=None):
    """VGG (Simonyan and Zisserman, https://arxiv.org/abs/1409.1556) as a flat ``Sequential``
    named "VGG_ILSVRC_<layers>_layers": five stages of 3x3 convolutions ``convA_B`` (pad 1) each
    followed by ``reluA_B``, with 64, 128, 256, 512, 512 maps, each stage ending in a 2x2 pool
    ``poolA``; with ``withLinear``, Flatten, ``fc6`` (25088 -> 4096), ``relu6``, ``fc7``, ``relu7``,
    ``fc8`` (4096 -> 1000) and SoftMax.

    Parameters
    ----------
    modelpath : str, optional
        A model file to load (full parameter names, e.g. "VGG_ILSVRC_16_layers.conv1_1.W").
    layers : str
        "11", "16" or "19".
    poolmode : str
        "max" or "avg".
    initscheme : str
        "none" (the default) leaves weights uninitialised, for loading a file; None (xavier) or
        "he" to train from scratch.
    withLinear : bool
        Add the classifier head (needs 224x224 input).
    actInplace : bool
        Run the ReLUs in place.
    name : str, optional

    Shape
    -----
    data: (N, 3, 224, 224) -> (N, 1000) probabilities; without the head, (N, 3, H, W) ->
    (N, 512, H/32, W/32).

    Example::

        >>> net = loadVGG(None, "11", withLinear=False, initscheme="he")
        >>> net.name, net(to_gpu(np.zeros((1, 3, 32, 32), np.float32))).shape
        ('VGG_ILSVRC_11_layers', (1, 512, 1, 1))
    """
    if layers not in _CONVS:
        raise ModuleError("Unsupported VGG layers mode: expected '11', '16' or '19', got %r" % (layers,))
    if poolmode not in ("max", "avg"):
        raise ModuleError("Unsupported VGG poolmode: expected 'max' or 'avg', got %r" % (poolmode,))
    Pool = MaxPool2D if poolmode == "max" else AvgPool2D
    net = Sequential(name=name or "VGG_ILSVRC_%s_layers" % layers)
    inmaps = 3
    for stage, (count, maps) in enumerate(zip(_CONVS[layers], _MAPS), start=1):
        for i in range(1, count + 1):
            net.append(Conv2D(inmaps, maps, 3, pad=1, initscheme=initscheme, name="conv%d_%d" % (stage, i)))
            net.append(Activation(relu, inplace=actInplace, name="relu%d_%d" % (stage, i)))
            inmaps = maps
        net.append(Pool(2, 2, name="pool%d" % stage))
    if withLinear:
        net.append(Flatten())
        net.append(Linear(512 * 7 * 7, 4096, initscheme=initscheme, name="fc6"))
        net.append(Activation(relu, inplace=actInplace, name="relu6"))
        net.append(Linear(4096, 4096, initscheme=initscheme, name="fc7"))
        net.append(Activation(relu, inplace=actInplace, name="relu7"))
        net.append(Linear(4096, 1000, initscheme=initscheme, name="fc8"))
        net.append(SoftMax())
    if modelpath is not None:
        net.load(modelpath)
    return net
