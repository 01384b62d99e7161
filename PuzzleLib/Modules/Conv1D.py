"""Conv1D: a 1-d convolution over (N, C, L) data."""
from PuzzleLib.Modules._conv import ConvND


class Conv1D(ConvND):
    """A 1-d convolution (cross-correlation) with optional stride, padding, dilation and groups.

    Parameters
    ----------
    inmaps, outmaps : int
        Input and output channels (both divisible by ``groups``).
    size, stride, pad, dilation : int or 1 ints
        Kernel size, step, zero padding on both sides, spacing of kernel taps.
    wscale, initscheme : as for Linear (fan in = inmaps // groups * kernel elements).
    useBias : bool
        Add ``b`` of shape (1, outmaps, 1, 1), PuzzleLib's layout (zeros at start).
    empty : bool
        Allocate W without initialising it (to be loaded from a file).
    groups : int
        Split the channels into ``groups`` independent convolutions.

    Shape
    -----
    data: (N, inmaps, L) -> (N, outmaps, Lout), each spatial size becoming
    ``(S + 2 * pad - dilation * (size - 1) - 1) // stride + 1``. W: (outmaps, inmaps // groups, 1, size).

    Example::

        >>> conv = Conv1D(3, 8, size=3, pad=1)
        >>> conv(to_gpu(np.zeros((2, 3, 10), np.float32))).shape
        (2, 8, 10)
    """

    nd = 1

    def __init__(self, inmaps, outmaps, size, stride=1, pad=0, dilation=1, wscale=1.0, useBias=True, name=None,
                 initscheme=None, empty=False, groups=1):
        super().__init__(inmaps, outmaps, size, stride, pad, dilation, wscale, useBias, name, initscheme, empty,
                         groups)
