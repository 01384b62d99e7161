"""loadNiNImageNet: Network in Network for ImageNet, with PuzzleLib 1.0's module names."""
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Activation import Activation, relu
from PuzzleLib.Modules.AvgPool2D import AvgPool2D
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Flatten import Flatten
from PuzzleLib.Modules.MaxPool2D import MaxPool2D
from PuzzleLib.Modules.SoftMax import SoftMax


def loadNiNImageNet(modelpath, poolmode="max", actInplace=False, initscheme="none", name="CaffeNet"):
    """Network in Network (Lin et al., https://arxiv.org/abs/1312.4400), the Caffe model-zoo
    ImageNet version, as a flat ``Sequential``: four stages of a convolution followed by 1x1
    ``cccp`` convolutions (each with a numbered relu), pools ``pool1``..``pool3`` (3x3, stride 2),
    and a 1000-map stage averaged by ``pool4`` (5x5), then Flatten and SoftMax.

    Parameters
    ----------
    modelpath : str, optional
        A model file to load (full names, e.g. "CaffeNet.conv1.W").
    poolmode : str
        "max" or "avg" for pool1..pool3.
    actInplace : bool
        Run the ReLUs in place.
    initscheme : str
        "none" (the default) leaves weights uninitialised, for loading a file.
    name : str

    Shape
    -----
    data: (N, 3, 224, 224) -> (N, 1000) probabilities.

    Example::

        >>> net = loadNiNImageNet(None)
        >>> net.dataShapeFrom((1, 3, 224, 224)), net.getByName("cccp8-1024").vars["W"].shape
        ((1, 1000), (1000, 1024, 1, 1))
    """
    if poolmode not in ("max", "avg"):
        raise ModuleError("Unsupported NiN poolmode: expected 'max' or 'avg', got %r" % (poolmode,))
    Pool = MaxPool2D if poolmode == "max" else AvgPool2D
    net = Sequential(name=name)
    relus = iter(range(12))

    def conv(inmaps, outmaps, size, convname, stride=1, pad=0):
        net.append(Conv2D(inmaps, outmaps, size, stride=stride, pad=pad, initscheme=initscheme, name=convname))
        net.append(Activation(relu, inplace=actInplace, name="relu%d" % next(relus)))

    conv(3, 96, 11, "conv1", stride=4)
    conv(96, 96, 1, "cccp1")
    conv(96, 96, 1, "cccp2")
    net.append(Pool(3, 2, name="pool1"))
    conv(96, 256, 5, "conv2", pad=2)
    conv(256, 256, 1, "cccp3")
    conv(256, 256, 1, "cccp4")
    net.append(Pool(3, 2, name="pool2"))
    conv(256, 384, 3, "conv3", pad=1)
    conv(384, 384, 1, "cccp5")
    conv(384, 384, 1, "cccp6")
    net.append(Pool(3, 2, name="pool3"))
    conv(384, 1024, 3, "conv4-1024", pad=1)
    conv(1024, 1024, 1, "cccp7-1024")
    conv(1024, 1000, 1, "cccp8-1024")
    net.append(AvgPool2D(5, 1, name="pool4"))
    net.append(Flatten())
    net.append(SoftMax())
    if modelpath is not None:
        net.load(modelpath)
    return net
