"""Dropout2D: drop whole feature maps (channels) of (N, C, H, W) data in train mode."""
from PuzzleLib.Modules.Dropout import Dropout
from PuzzleLib.Modules._args import requireNdim


class Dropout2D(Dropout):
    """Channel dropout: in train mode each (sample, channel) map is zeroed with probability ``p``
    and the kept maps are multiplied by ``1 / (1 - p)``; in eval mode the identity.

    Parameters are those of :class:`Dropout` (``p`` is the drop rate; ``rng`` defaults to the
    backend's global generator).

    Shape
    -----
    (N, C, H, W) -> the same; the mask has shape (N, C, 1, 1).

    Example::

        >>> y = Dropout2D(p=0.5)(to_gpu(np.ones((2, 3, 4, 4), np.float32)))
        >>> sorted(set(y.get()[0, 0].ravel().tolist())) in ([0.0], [2.0])
        True

    Tompson et al., 2015, https://arxiv.org/abs/1411.4280
    """

    def __init__(self, p=0.5, rng=None, slicing=None, inplace=False, name=None):
        super().__init__(p, rng, slicing, inplace, name)

    def _maskShape(self, shape):
        return tuple(shape[:2]) + (1,) * (len(shape) - 2)

    def checkDataShape(self, shape):
        requireNdim(self, shape, 4, "(N, C, H, W)")
