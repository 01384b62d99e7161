"""Affine: small random rotations, scalings and sub-pixel moves of image batches."""
import numbers

import numpy as np

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Transformer import Transformer
from PuzzleLib.Transformers._augment import images, probability


class Affine(Transformer):
    """Turns, scales and moves each image of a batch (N, C, H, W) or (N, H, W) about its centre by
    random amounts, reading the new pixels by bilinear interpolation, so moves and turns can be a
    fraction of a pixel (on 8x8 digits a whole pixel is an eighth of the image: ``Shift`` by one is
    a large change, ``Affine(maxShift=0.5)`` a mild one). Each image is changed with probability
    ``p`` (the others are copied as they are); what comes from outside the image is ``fill``.
    Integer images are rounded back to their dtype. A list batch ``[images, labels]`` keeps its
    labels.

    Parameters
    ----------
    maxRotation : float
        The largest turn, in degrees either way (0..180).
    maxScale : float
        The largest relative change of size: factors are drawn from [1 - maxScale, 1 + maxScale]
        (0 <= maxScale < 1).
    maxShift : float or (float, float)
        The largest vertical and horizontal move, in pixels (fractions allowed).
    p : float
        Probability that an image is changed.
    fill : float
        Value of what comes from outside the image.

    Shape
    -----
    The batch's shape and dtype are kept.

    Example::

        >>> batch = np.zeros((2, 1, 5, 5), np.float32)
        >>> batch[:, :, 2, 2] = 1.0
        >>> np.random.seed(0)
        >>> out = Affine(maxRotation=0, maxScale=0, maxShift=(0, 0.5))(batch, 0)
        >>> out.shape, out.dtype
        ((2, 1, 5, 5), dtype('float32'))
        >>> out[0, 0, 2].round(2)   # moved right by 0.46 of a pixel: the dot is shared by two pixels
        array([0.  , 0.  , 0.54, 0.46, 0.  ], dtype=float32)
        >>> Affine(maxRotation=0, maxScale=0, maxShift=0)(batch, 0) is not batch   # a copy, unchanged
        True
    """

    def __init__(self, maxRotation=10.0, maxScale=0.1, maxShift=0.5, p=1.0, fill=0.0):
        self.maxRotation = _number("maxRotation", maxRotation, 0.0, 180.0)
        self.maxScale = _number("maxScale", maxScale, 0.0, 1.0, openHigh=True)
        self.maxShift = _shifts(maxShift)
        self.p = probability("Affine", p)
        if not isinstance(fill, numbers.Real) or isinstance(fill, bool) or not np.isfinite(fill):
            raise TransformerError("Affine: fill must be a finite number, got %r" % (fill,))
        self.fill = float(fill)

    def __call__(self, batch, threadidx):
        data, rebuild = images("Affine", batch)
        n = data.shape[0]
        # all draws are made whatever p is, so the stream of random numbers depends only on n
        chosen = np.random.random_sample(n) < self.p
        angle = np.deg2rad(np.random.uniform(-self.maxRotation, self.maxRotation, size=n))
        scale = np.random.uniform(1.0 - self.maxScale, 1.0 + self.maxScale, size=n)
        (my, mx) = self.maxShift
        shift = np.stack([np.random.uniform(-my, my, size=n), np.random.uniform(-mx, mx, size=n)], axis=1)
        out = data.copy()
        if chosen.any():
            moved = _warp(data[chosen], angle[chosen], scale[chosen], shift[chosen], self.fill)
            if np.issubdtype(data.dtype, np.integer):
                info = np.iinfo(data.dtype)
                moved = np.clip(np.rint(moved), info.min, info.max)
            out[chosen] = moved.astype(data.dtype)
        return rebuild(out)

    def __repr__(self):
        return "Affine(maxRotation=%r, maxScale=%r, maxShift=%r, p=%r, fill=%r)" % (
            self.maxRotation, self.maxScale, self.maxShift, self.p, self.fill)


def _warp(data, angle, scale, shift, fill):
    """Images (n, ..., H, W) turned by ``angle`` (radians), scaled by ``scale`` and moved by ``shift``
    (n, 2: down, right) about their centres, by bilinear interpolation; float64 (n, ..., H, W)."""
    n, (h, w) = data.shape[0], data.shape[-2:]
    flat = data.reshape(n, -1, h * w).astype(np.float64)
    centre = np.array([(h - 1) / 2.0, (w - 1) / 2.0])
    grid = np.stack(np.meshgrid(np.arange(h), np.arange(w), indexing="ij"), axis=-1).reshape(1, h * w, 2)
    # where each output pixel comes from: the inverse of "scale and turn about the centre, then move"
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    inverse = np.stack([np.stack([cos, sin], axis=-1), np.stack([-sin, cos], axis=-1)], axis=-2)  # (n, 2, 2)
    source = np.einsum("nij,npj->npi", inverse, grid - centre - shift[:, None, :]) + centre  # (n, H*W, 2)

    low = np.floor(source)
    frac = source - low
    low = low.astype(np.int64)
    out = np.zeros_like(flat)
    for dy in (0, 1):
        for dx in (0, 1):
            y, x = low[..., 0] + dy, low[..., 1] + dx
            weight = (frac[..., 0] if dy else 1 - frac[..., 0]) * (frac[..., 1] if dx else 1 - frac[..., 1])
            inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
            index = (np.clip(y, 0, h - 1) * w + np.clip(x, 0, w - 1))[:, None, :]
            values = np.take_along_axis(flat, np.broadcast_to(index, flat.shape), axis=2)
            values = np.where(inside[:, None, :], values, fill)
            out += weight[:, None, :] * values
    return out.reshape(data.shape)


def _number(argname, value, low, high, openHigh=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and low <= value and (
        value < high if openHigh else value <= high)
    if not ok:
        raise TransformerError("Affine: %s must be a number in [%g, %g%s, got %r" % (
            argname, low, high, ")" if openHigh else "]", value))
    return float(value)


def _shifts(value):
    pair = value if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= v < float("inf")
                                 for v in pair):
        raise TransformerError("Affine: maxShift must be a number >= 0 or (height, width) of them, got %r" % (value,))
    return float(pair[0]), float(pair[1])
