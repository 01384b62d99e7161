"""Shift: random translations of image batches."""
import numbers

import numpy as np

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Transformer import Transformer
from PuzzleLib.Transformers._augment import images, pair


class Shift(Transformer):
    """Moves each image of a batch (N, C, H, W) or (N, H, W) by a random whole number of pixels,
    up to ``maxShift`` in each direction, filling what is uncovered with ``fill``. A list batch
    ``[images, labels]`` keeps its labels.

    Parameters
    ----------
    maxShift : int or (int, int)
        The largest vertical and horizontal move.
    fill : float
        Value of the uncovered pixels.

    Example::

        >>> np.random.seed(0)
        >>> Shift(1)(np.ones((1, 1, 3, 3)), 0)   # moved up by one
        array([[[[1., 1., 1.],
                 [1., 1., 1.],
                 [0., 0., 0.]]]])
    """

    def __init__(self, maxShift, fill=0.0):
        self.maxShift = pair("Shift", "maxShift", maxShift, 0)
        if not isinstance(fill, numbers.Real):
            raise TransformerError("Shift: fill must be a number, got %r" % (fill,))
        self.fill = fill

    def __call__(self, batch, threadidx):
        data, rebuild = images("Shift", batch)
        (my, mx), n = self.maxShift, data.shape[0]
        h, w = data.shape[-2:]
        dys, dxs = np.random.randint(-my, my + 1, size=n), np.random.randint(-mx, mx + 1, size=n)
        out = np.full_like(data, self.fill)
        for i in range(n):
            dy, dx = int(dys[i]), int(dxs[i])
            if abs(dy) >= h or abs(dx) >= w:
                continue
            out[i, ..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
                data[i, ..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
        return rebuild(out)

    def __repr__(self):
        return "Shift(maxShift=%r, fill=%r)" % (self.maxShift, self.fill)
