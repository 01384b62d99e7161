"""loadW2L: PuzzleLib 1.0's Wav2Letter speech recogniser."""
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Modules.Activation import Activation, clip
from PuzzleLib.Modules.BatchNorm1D import BatchNorm1D
from PuzzleLib.Modules.Conv1D import Conv1D
from PuzzleLib.Modules.Dropout import Dropout
from PuzzleLib.Modules.Pad1D import Pad1D

# (outmaps, kernel, pad, dropout, stride, dilation) of blocks conv1d_0 .. conv1d_17
_BLOCKS = ([(256, 11, 5, 0.2, 2, 1)] + [(256, 11, 5, 0.2, 1, 1)] * 3 + [(384, 13, 6, 0.2, 1, 1)] * 3 +
           [(512, 17, 8, 0.2, 1, 1)] * 3 + [(640, 21, 10, 0.3, 1, 1)] * 3 + [(768, 25, 12, 0.3, 1, 1)] * 3 +
           [(896, 29, 28, 0.4, 1, 2), (1024, 1, 0, 0.4, 1, 1)])


def loadW2L(modelpath, inmaps, nlabels, initscheme=None, name="w2l"):
    """Wav2Letter (Collobert et al., https://arxiv.org/abs/1609.03193) as PuzzleLib 1.0 builds it,
    a flat ``Sequential``: blocks "conv1d_0".."conv1d_18", each an unnamed reflect Pad1D (when the
    pad is above 0), the Conv1D "<block>_conv" and, but in the last block, BatchNorm1D "<block>_bn"
    (epsilon 0.001), an unnamed clip(0, 20) activation and an unnamed Dropout. Block 0 has stride
    2, block 16 dilation 2; the last block maps 1024 to ``nlabels`` with a 1-wide convolution.

    Parameters
    ----------
    modelpath : str, optional
        A model file to load.
    inmaps : int
        Input features per time step (e.g. 161 spectrogram bins).
    nlabels : int
        Output labels per time step.
    initscheme : str, optional
        Weight initialisation (None: xavier).
    name : str

    Shape
    -----
    data: (N, inmaps, T) -> (N, nlabels, (T - 1) // 2 + 1).

    Example::

        >>> net = loadW2L(None, 161, 29, initscheme="none")   # "none": no initialisation, to load a file
        >>> net.dataShapeFrom((2, 161, 40)), net.getByName("conv1d_16_conv").vars["W"].shape
        ((2, 29, 20), (896, 768, 1, 29))
    """
    net = Sequential(name=name)
    blocks = _BLOCKS + [(nlabels, 1, 0, 0.0, 1, 1)]
    for i, (outmaps, size, pad, p, stride, dilation) in enumerate(blocks):
        block = "conv1d_%d" % i
        if pad > 0:
            net.append(Pad1D(pad, mode="reflect"))
        net.append(Conv1D(inmaps, outmaps, size, stride=stride, dilation=dilation, initscheme=initscheme,
                          name=block + "_conv"))
        if i < len(blocks) - 1:
            net.append(BatchNorm1D(outmaps, epsilon=0.001, name=block + "_bn"))
            net.append(Activation(clip, args=(0.0, 20.0)))
            if p > 0:
                net.append(Dropout(p))
        inmaps = outmaps
    if modelpath is not None:
        net.load(modelpath)
    return net
