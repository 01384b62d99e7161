"""MaxPool2D: 2-d max pooling over (N, C, H, W) data."""
from PuzzleLib.Modules._pool import MaxPoolND


class MaxPool2D(MaxPoolND):
    """2-d max pooling: the largest value of each window; the gradient goes to the first
    maximum of each window.

    Parameters
    ----------
    size, stride : int or 2 ints
        Window size and step.
    pad : int or 2 ints
        Padding on both sides (never chosen as a maximum); smaller than ``size``.
    useMask : bool
        Keep ``self.mask``: for each output element, the flat index into its input plane of the
        element taken (read by MaxUnpool2D).

    Shape
    -----
    data: (N, C, H, W) -> each spatial size becoming ``(S + 2 * pad - size) // stride + 1``.

    Example::

        >>> MaxPool2D()(to_gpu(np.zeros((2, 3, 8, 8), np.float32))).shape
        (2, 3, 4, 4)
    """

    nd = 2

    def __init__(self, size=2, stride=2, pad=0, useMask=False, name=None):
        super().__init__(size, stride, pad, useMask=useMask, name=name)
