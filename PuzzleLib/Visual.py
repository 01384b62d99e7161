"""Pictures of data and of what a net learned: images in and out of arrays, filter grids, whitening.

Pillow draws and reads the images (``pip install 'puzzlelib[datasets]'``, or Pillow).
"""
import io
import numbers
import os

import numpy as np

from PuzzleLib import Config
from PuzzleLib.Errors import PuzzleLibError


class VisualError(PuzzleLibError, ValueError):
    """An image or filter array Visual cannot draw, or an image file it cannot read."""


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise VisualError("Visual: drawing and reading images needs Pillow; pip install 'puzzlelib[datasets]' "
                          "(or Pillow)") from e
    return Image


def _host(ary, what):
    if hasattr(ary, "get") and not isinstance(ary, np.ndarray):
        ary = ary.get()
    ary = np.asarray(ary)
    if ary.dtype.kind not in "fiub":
        raise VisualError("Visual: %s must be a numeric array, got %s" % (what, ary.dtype))
    return ary


def imageToArray(img, shape=None, normalize=True, mapsToFront=True, contiguous=True):
    """A Pillow image as an array: resized to ``shape`` (width, height) if given (antialiased),
    alpha dropped; (1, C, H, W) with ``mapsToFront`` (greyscale (1, 1, H, W)), else (H, W, C)
    (greyscale (H, W, 1)); with ``normalize``, float32 ``x * 2 / max - 1`` (relative to the image's
    own maximum), else uint8.

    Example::

        >>> from PIL import Image
        >>> imageToArray(Image.new("RGB", (4, 2), (255, 0, 0))).shape
        (1, 3, 2, 4)
        >>> imageToArray(Image.new("L", (4, 2), 10), normalize=False, mapsToFront=False).shape
        (2, 4, 1)
    """
    Image = _pil()
    if shape is not None:
        if not (isinstance(shape, (tuple, list)) and len(shape) == 2 and
                all(isinstance(s, numbers.Integral) and s > 0 for s in shape)):
            raise VisualError("Visual: shape must be (width, height), got %r" % (shape,))
        img = img.resize(tuple(int(s) for s in shape), Image.LANCZOS)
    if img.mode in ("RGBA", "LA", "P", "PA", "CMYK", "YCbCr", "1"):
        img = img.convert("L" if img.mode in ("LA", "1") else "RGB")
    ary = np.asarray(img)
    if ary.ndim == 2:
        ary = ary[:, :, None]
    if normalize:
        top = float(ary.max()) or 1.0
        ary = ary.astype(np.float32) * (2.0 / top) - 1.0
    if mapsToFront:
        ary = ary.transpose(2, 0, 1)[None]
    return np.ascontiguousarray(ary) if contiguous else ary


def loadImage(filename, shape=None, normalize=True, mapsToFront=True, contiguous=True):
    """An image file as an array (see ``imageToArray``)."""
    Image = _pil()
    try:
        with Image.open(filename) as img:
            img.load()
            return imageToArray(img, shape, normalize, mapsToFront, contiguous)
    except (OSError, ValueError) as e:
        if isinstance(e, VisualError):
            raise
        raise VisualError("Visual: cannot read image %s: %s" % (filename, e)) from e


def loadImageFromBytes(data, shape=None, normalize=True, mapsToFront=True, contiguous=True):
    """An encoded image (PNG, JPEG ... bytes) as an array (see ``imageToArray``)."""
    return loadImage(io.BytesIO(bytes(data)), shape, normalize, mapsToFront, contiguous)


def normalizeImageInplace(img):
    """Scales ``img`` (float) to [0, 1] in place by its minimum and maximum; returns it."""
    lo, hi = float(img.min()), float(img.max())
    img -= lo
    if hi > lo:
        img /= hi - lo
    return img


def imageToInt(img):
    """A [0, 1] image as uint8 (x 255)."""
    return np.clip(np.rint(np.asarray(img) * 255.0), 0, 255).astype(np.uint8)


def _toPicture(img, rollMaps):
    img = _host(img, "the image")
    if img.ndim == 4:
        if img.shape[0] != 1:
            raise VisualError("Image tensor must be exactly one image: got a batch of %d (shape %s)" % (
                img.shape[0], img.shape))
        img = img[0]
    if img.ndim != 3:
        raise VisualError("Image tensor must be exactly one image: (C, H, W) or (1, C, H, W), got shape %s" % (
            img.shape,))
    if img.shape[0] not in (1, 3, 4) and rollMaps:
        raise VisualError("Visual: an image has 1, 3 or 4 maps, got %d (shape %s)" % (img.shape[0], img.shape))
    if img.dtype.kind == "f":
        img = imageToInt(normalizeImageInplace(img.astype(np.float32)))
    if img.shape[0] == 1:
        return img[0]
    return np.moveaxis(img, 0, -1) if rollMaps else img


def _save(picture, filename):
    Image = _pil()
    try:
        Image.fromarray(np.ascontiguousarray(picture)).save(filename)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise VisualError("Visual: cannot write %s: %s" % (filename, e)) from e


def showImage(img, filename, rollMaps=True):
    """Saves one image (C, H, W) or (1, C, H, W) to ``filename`` (format from the extension): float
    images are min-max normalised (on a copy) and written as 8 bits, maps moved last when C > 1.

    Example::

        >>> showImage(np.random.rand(3, 8, 8).astype(np.float32), "noise.png")
        >>> loadImage("noise.png", normalize=False).shape
        (1, 3, 8, 8)
    """
    _save(_toPicture(img, rollMaps), filename)


def showImageBatch(batch, filebase, ext="png", rollMaps=True):
    """Saves each image of a batch (N, C, H, W) as "<filebase>-<i>.<ext>", i = 1..N."""
    batch = _host(batch, "the batch")
    if batch.ndim != 4:
        raise VisualError("Visual: a batch is (N, C, H, W), got shape %s" % (batch.shape,))
    for i in range(batch.shape[0]):
        showImage(batch[i], "%s-%d.%s" % (filebase, i + 1, ext), rollMaps)


def showImageBatchInFolder(batch, foldername, basename, ext="png", rollMaps=True):
    """``showImageBatch`` into ``foldername`` (created if missing)."""
    os.makedirs(foldername, exist_ok=True)
    showImageBatch(batch, os.path.join(foldername, basename), ext, rollMaps)


def _tile(tiles, rows, cols, offset, channels):
    th, tw = tiles.shape[-2:]
    height, width = rows * th + (rows + 1) * offset, cols * tw + (cols + 1) * offset
    canvas = np.zeros((channels, height, width), dtype=np.float32)
    for k in range(tiles.shape[0]):
        r, c = divmod(k, cols)
        y, x = offset + r * (th + offset), offset + c * (tw + offset)
        canvas[:, y:y + th, x:x + tw] = tiles[k]
    return canvas


def _normalizeEach(filters, normalize):
    filters = filters.astype(np.float32, copy=True)
    if normalize:
        for f in filters:
            normalizeImageInplace(f)
    return filters


def showFilters(filters, filename, offset=4, normalize=True):
    """Draws convolution filters (out, in, fh, fw) as a greyscale grid, one row per output map and
    one column per input map, ``offset`` black pixels between and around the tiles, each filter
    min-max normalised. 1x1 filters have nothing to see: a warning is logged, no file written.

    Example::

        >>> showFilters(np.random.randn(4, 2, 3, 3), "conv1.png", offset=1)
        >>> loadImage("conv1.png", normalize=False).shape   # 4 rows and 2 columns of 3x3 tiles
        (1, 1, 17, 9)
    """
    filters = _host(filters, "the filters")
    if filters.ndim != 4:
        raise VisualError("Visual: filters are (outmaps, inmaps, height, width), got shape %s" % (filters.shape,))
    if filters.shape[2:] == (1, 1):
        Config.getLogger().warning("Visual: filters are 1x1, nothing to draw; %s not written", filename)
        return
    out, inmaps = filters.shape[:2]
    tiles = _normalizeEach(filters.reshape((out * inmaps, 1) + filters.shape[2:]), normalize)
    canvas = _tile(tiles, out, inmaps, offset, 1)
    _save(imageToInt(np.clip(canvas[0], 0, 1)), filename)


def showImageBasedFilters(filters, filename, cols=16, offset=4, normalize=True):
    """Draws each filter (out, in, fh, fw) with 1 or 3 input maps as one image, ``cols`` per row
    (first-layer filters of a colour net look like small pictures).

    Example::

        >>> showImageBasedFilters(np.random.randn(5, 3, 4, 4), "rgb.png", cols=4, offset=2)
        >>> loadImage("rgb.png", normalize=False).shape   # 2 rows of 4 tiles
        (1, 3, 14, 26)
    """
    filters = _host(filters, "the filters")
    if filters.ndim != 4 or filters.shape[1] not in (1, 3):
        raise VisualError("Visual: image-based filters are (outmaps, 1 or 3, height, width), got shape %s" % (
            filters.shape,))
    if filters.shape[2:] == (1, 1):
        Config.getLogger().warning("Visual: filters are 1x1, nothing to draw; %s not written", filename)
        return
    if not isinstance(cols, numbers.Integral) or cols <= 0:
        raise VisualError("Visual: cols must be a positive integer, got %r" % (cols,))
    tiles = _normalizeEach(filters, normalize)
    cols = min(cols, tiles.shape[0])
    rows = -(-tiles.shape[0] // cols)
    canvas = imageToInt(np.clip(_tile(tiles, rows, cols, offset, tiles.shape[1]), 0, 1))
    _save(canvas[0] if canvas.shape[0] == 1 else np.moveaxis(canvas, 0, -1), filename)


def whiten(batch, epsilon=1e-2, PCA=False):
    """ZCA whitening of the flattened samples (or PCA whitening with ``PCA``): the mean is
    subtracted from ``batch`` in place, and the whitened batch (same shape) is returned.

    Example::

        >>> x = np.random.randn(500, 2, 2).astype(np.float32) * [[1, 5], [2, 10]]
        >>> w = whiten(x, epsilon=0)
        >>> bool(np.allclose(np.cov(w.reshape(500, -1), rowvar=False, bias=True), np.eye(4), atol=1e-3))
        True
    """
    batch = _host(batch, "the batch")
    if batch.dtype.kind != "f":
        raise VisualError("Visual: whiten needs a float batch, got %s" % batch.dtype)
    flat = batch.reshape(batch.shape[0], -1)
    flat -= flat.mean(axis=0)
    cov = flat.T.astype(np.float64) @ flat / flat.shape[0]
    U, S, _ = np.linalg.svd(cov)
    rotation = U / np.sqrt(S + epsilon)
    out = flat @ rotation
    if not PCA:
        out = out @ U.T
    return out.astype(batch.dtype).reshape(batch.shape)
