"""Noise: random noise added to (image) batches."""
import numbers

import numpy as np

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Transformer import Transformer


class Noise(Transformer):
    """Adds noise to every value of a batch (an array, or the first array of ``[data, labels]``):
    normal with standard deviation ``scale`` (``mode="gauss"``) or uniform in [-scale, scale]
    (``"uniform"``). The dtype is kept.

    Parameters
    ----------
    mode : str
        "gauss" or "uniform".
    scale : float
        The noise's standard deviation (gauss) or half-width (uniform).

    Example::

        >>> out = Noise("uniform", scale=0.1)(np.zeros((100, 2), np.float32), 0)
        >>> out.dtype, bool(np.abs(out).max() <= 0.1), bool(out.std() > 0)
        (dtype('float32'), True, True)
    """

    def __init__(self, mode="gauss", scale=0.1):
        if mode not in ("gauss", "uniform"):
            raise TransformerError("Noise: mode must be 'gauss' or 'uniform', got %r" % (mode,))
        if not isinstance(scale, numbers.Real) or scale < 0:
            raise TransformerError("Noise: scale must be a non-negative number, got %r" % (scale,))
        self.mode, self.scale = mode, float(scale)

    def __call__(self, batch, threadidx):
        isList = isinstance(batch, (list, tuple))
        data = np.asarray(batch[0] if isList else batch)
        if not np.issubdtype(data.dtype, np.floating):
            raise TransformerError("Noise: expected floating-point data, got %s" % data.dtype)
        if self.mode == "gauss":
            noise = np.random.normal(0.0, self.scale, size=data.shape)
        else:
            noise = np.random.uniform(-self.scale, self.scale, size=data.shape)
        out = (data + noise).astype(data.dtype)
        return [out] + list(batch[1:]) if isList else out

    def __repr__(self):
        return "Noise(mode=%r, scale=%r)" % (self.mode, self.scale)
