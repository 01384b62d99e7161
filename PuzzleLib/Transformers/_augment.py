"""What the augmentation transformers share: finding the images in a batch and checking them."""
import numbers

import numpy as np

from PuzzleLib.Errors import TransformerError


def images(owner, batch):
    """(images (N, C, H, W) or (N, H, W), rebuild) where rebuild(new images) gives the batch back
    with its other parts (labels) untouched."""
    if isinstance(batch, (list, tuple)):
        if not batch:
            raise TransformerError("%s: got an empty list; expected an image batch or [images, labels, ...]" % owner)
        data, rest = batch[0], list(batch[1:])
        rebuild = lambda new: [new] + rest  # noqa: E731
    else:
        data, rebuild = batch, (lambda new: new)
    data = np.asarray(data)
    if data.ndim not in (3, 4):
        raise TransformerError("%s: expected images (N, C, H, W) or (N, H, W), got shape %s" % (owner, data.shape))
    return data, rebuild


def probability(owner, p):
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise TransformerError("%s: p must be a probability in [0, 1], got %r" % (owner, p))
    return float(p)


def pair(owner, argname, value, minimum):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum for v in value)):
        raise TransformerError("%s: %s must be an int >= %d or (height, width) of them, got %r" % (
            owner, argname, minimum, value))
    return int(value[0]), int(value[1])
