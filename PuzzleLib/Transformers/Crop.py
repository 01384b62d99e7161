"""Crop: random (or central) crops of image batches, optionally after zero padding."""
import numpy as np

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Transformer import Transformer
from PuzzleLib.Transformers._augment import images, pair


class Crop(Transformer):
    """Cuts a ``size`` window out of every image of a batch (N, C, H, W) or (N, H, W), at a random
    place per image (``mode="random"``) or in the middle (``"center"``), after padding each side
    with ``pad`` zeros (``size`` = image size and ``pad=4`` is the usual CIFAR augmentation).
    A list batch ``[images, labels]`` keeps its labels.

    Parameters
    ----------
    size : int or (int, int)
        Height and width of the crops.
    pad : int or (int, int)
        Zeros added above/below and left/right first.
    mode : str
        "random" or "center".

    Example::

        >>> batch = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
        >>> Crop(2, mode="center")(batch, 0)
        array([[[[ 5.,  6.],
                 [ 9., 10.]]]], dtype=float32)
        >>> Crop(4, pad=1)(batch, 0).shape
        (1, 1, 4, 4)
    """

    def __init__(self, size, pad=0, mode="random"):
        self.size = pair("Crop", "size", size, 1)
        self.pad = pair("Crop", "pad", pad, 0)
        if mode not in ("random", "center"):
            raise TransformerError("Crop: mode must be 'random' or 'center', got %r" % (mode,))
        self.mode = mode

    def __call__(self, batch, threadidx):
        data, rebuild = images("Crop", batch)
        (ph, pw), (sh, sw) = self.pad, self.size
        if ph or pw:
            widths = [(0, 0)] * (data.ndim - 2) + [(ph, ph), (pw, pw)]
            data = np.pad(data, widths)
        h, w = data.shape[-2:]
        if sh > h or sw > w:
            raise TransformerError("Crop: crops of %dx%d do not fit images of %dx%d (after padding)" % (sh, sw, h, w))
        n = data.shape[0]
        if self.mode == "center":
            ys, xs = np.full(n, (h - sh) // 2), np.full(n, (w - sw) // 2)
        else:
            ys, xs = np.random.randint(0, h - sh + 1, size=n), np.random.randint(0, w - sw + 1, size=n)
        out = np.empty(data.shape[:-2] + (sh, sw), dtype=data.dtype)
        for i in range(n):
            out[i] = data[i, ..., ys[i]:ys[i] + sh, xs[i]:xs[i] + sw]
        return rebuild(out)

    def __repr__(self):
        return "Crop(size=%r, pad=%r, mode=%r)" % (self.size, self.pad, self.mode)
