"""Pad2D: pad the height and width axes of (N, C, H, W) data."""
from PuzzleLib.Modules._pad import PadMode, _Pad, parsePairs


class Pad2D(_Pad):
    """Pads the last two axes of (N, C, H, W) data with a constant or with their reflection.

    Parameters
    ----------
    pad : int, (padH, padW) or (top, bottom, left, right)
        Values added on each side.
    mode : PadMode or str
        "constant" (``fillValue``, 0 by default) or "reflect" (mirror without repeating the edge,
        as ``numpy.pad``'s "reflect"; each pad must be shorter than its axis).
    fillValue : float, optional
        The constant for mode "constant".

    Shape
    -----
    (N, C, H, W) -> (N, C, top + H + bottom, left + W + right).

    Example::

        >>> Pad2D(1)(to_gpu(np.ones((1, 1, 2, 2), np.float32))).shape
        (1, 1, 4, 4)
    """

    spatial = 2
    layout = "(N, C, H, W)"

    def __init__(self, pad, mode="constant", fillValue=None, name=None):
        super().__init__(pad, mode, fillValue, name)

    def _parsePad(self, owner, pad):
        return parsePairs(owner, pad, 2)
