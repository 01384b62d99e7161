"""MaxPool3D: 3-d max pooling over (N, C, D, H, W) data."""
from PuzzleLib.Modules._pool import MaxPoolND


class MaxPool3D(MaxPoolND):
    """3-d max pooling: the largest value of each window; the gradient goes to the first
    maximum of each window.

    Parameters
    ----------
    size, stride : int or 3 ints
        Window size and step.
    pad : int or 3 ints
        Padding on both sides (never chosen as a maximum); smaller than ``size``.

    Shape
    -----
    data: (N, C, D, H, W) -> each spatial size becoming ``(S + 2 * pad - size) // stride + 1``.

    Example::

        >>> MaxPool3D()(to_gpu(np.zeros((2, 3, 4, 4, 4), np.float32))).shape
        (2, 3, 2, 2, 2)
    """

    nd = 3

    def __init__(self, size=2, stride=2, pad=0, name=None):
        super().__init__(size, stride, pad, name=name)
