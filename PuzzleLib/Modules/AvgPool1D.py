"""AvgPool1D: 1-d average pooling over (N, C, L) data."""
from PuzzleLib.Modules._pool import AvgPoolND


class AvgPool1D(AvgPoolND):
    """1-d average pooling: the mean of each window.

    Parameters
    ----------
    size, stride : int or 1 ints
        Window size and step.
    pad : int or 1 ints
        Zero padding on both sides; smaller than ``size``.
    includePad : bool
        Divide by the full window size (True) or by the number of non-padding elements in it.

    Shape
    -----
    data: (N, C, L) -> each spatial size becoming ``(S + 2 * pad - size) // stride + 1``.

    Example::

        >>> AvgPool1D()(to_gpu(np.zeros((2, 3, 8), np.float32))).shape
        (2, 3, 4)
    """

    nd = 1

    def __init__(self, size=2, stride=2, pad=0, includePad=True, name=None):
        super().__init__(size, stride, pad, includePad, name)
