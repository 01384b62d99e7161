"""Deconv1D: a 1-d transposed convolution ("deconvolution") over (N, C, L) data."""
from PuzzleLib.Modules._conv import DeconvND


class Deconv1D(DeconvND):
    """A 1-d transposed convolution: the adjoint of the convolution with the same geometry,
    used to upsample.

    Parameters
    ----------
    inmaps, outmaps : int
        Input and output channels (both divisible by ``groups``).
    size, stride, pad, dilation : int or 1 ints
        Geometry of the convolution this one transposes.
    postpad : int or 1 ints
        Extra rows added at the end of each output axis (smaller than stride or dilation).
    wscale, initscheme : as for Linear (fan in = inmaps // groups * kernel elements).
    useBias : bool
        Add ``b`` of shape (1, outmaps, 1, 1), PuzzleLib's layout (zeros at start).
    empty : bool
        Allocate W without initialising it (to be loaded from a file).
    groups : int
        Split the channels into ``groups`` independent transposed convolutions.

    Shape
    -----
    data: (N, inmaps, L) -> (N, outmaps, Lout), each spatial size becoming
    ``(S - 1) * stride - 2 * pad + dilation * (size - 1) + 1 + postpad``. W: (inmaps, outmaps // groups, 1, size).

    Example::

        >>> deconv = Deconv1D(8, 3, size=2, stride=2)
        >>> deconv(to_gpu(np.zeros((2, 8, 5), np.float32))).shape
        (2, 3, 10)
    """

    nd = 1

    def __init__(self, inmaps, outmaps, size, stride=1, pad=0, dilation=1, postpad=0, wscale=1.0, useBias=True,
                 name=None, initscheme=None, empty=False, groups=1):
        super().__init__(inmaps, outmaps, size, stride, pad, dilation, postpad, wscale, useBias, name, initscheme,
                         empty, groups)
