"""Pad1D: pad the length axis of (N, C, L) data."""
from PuzzleLib.Modules._pad import PadMode, _Pad, parsePairs


class Pad1D(_Pad):
    """Pads the last axis of (N, C, L) data with a constant or with its reflection.

    Parameters
    ----------
    pad : int or (left, right)
        Values added before and after.
    mode : PadMode or str
        "constant" (``fillValue``, 0 by default) or "reflect" (mirror without repeating the edge,
        as ``numpy.pad``'s "reflect"; each pad must be shorter than L).
    fillValue : float, optional
        The constant for mode "constant".

    Shape
    -----
    (N, C, L) -> (N, C, left + L + right).

    Example::

        >>> Pad1D((1, 2), mode="reflect")(to_gpu(np.array([[[1.0, 2.0, 3.0]]], np.float32))).get()
        array([[[2., 1., 2., 3., 2., 1.]]], dtype=float32)
    """

    spatial = 1
    layout = "(N, C, L)"

    def __init__(self, pad, mode="constant", fillValue=None, name=None):
        super().__init__(pad, mode, fillValue, name)

    def _parsePad(self, owner, pad):
        return parsePairs(owner, pad, 1)
