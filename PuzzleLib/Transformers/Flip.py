"""Flip: random mirror images of image batches."""
import numpy as np

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Transformer import Transformer
from PuzzleLib.Transformers._augment import images, probability


class Flip(Transformer):
    """Mirrors each image of a batch (N, C, H, W) or (N, H, W) with probability ``p``, left-right
    (``axis="horizontal"``) or top-bottom (``"vertical"``). A list batch ``[images, labels]``
    keeps its labels.

    Parameters
    ----------
    axis : str
        "horizontal" or "vertical".
    p : float
        Probability that an image is flipped.

    Example::

        >>> Flip(p=1.0)(np.array([[[1., 2., 3.]]]), 0)
        array([[[3., 2., 1.]]])
    """

    def __init__(self, axis="horizontal", p=0.5):
        if axis not in ("horizontal", "vertical"):
            raise TransformerError("Flip: axis must be 'horizontal' or 'vertical', got %r" % (axis,))
        self.axis, self.p = axis, probability("Flip", p)

    def __call__(self, batch, threadidx):
        data, rebuild = images("Flip", batch)
        flip = np.random.random_sample(data.shape[0]) < self.p
        out = data.copy()
        out[flip] = np.flip(data[flip], axis=-1 if self.axis == "horizontal" else -2)
        return rebuild(out)

    def __repr__(self):
        return "Flip(axis=%r, p=%r)" % (self.axis, self.p)
