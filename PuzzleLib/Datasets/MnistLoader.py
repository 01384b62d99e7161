"""MnistLoader: MNIST from its four uncompressed IDX files, cached as HDF5."""
import os

import numpy as np

from PuzzleLib.Datasets.DataLoader import DataLoader
from PuzzleLib.Datasets._files import checkPath, readFile
from PuzzleLib.Errors import DatasetError

_FILES = (("t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"),
          ("train-images.idx3-ubyte", "train-labels.idx1-ubyte"))
_IMAGES, _LABELS = 2051, 2049


class MnistLoader(DataLoader):
    """MNIST read from the four uncompressed IDX files in a folder (``t10k-images.idx3-ubyte``,
    ``t10k-labels.idx1-ubyte``, ``train-images.idx3-ubyte``, ``train-labels.idx1-ubyte``: gunzip the
    official downloads and put a dot before "idx"). Nothing is downloaded.

    The 10 000 test samples come first, then the 60 000 training samples, as in PuzzleLib 1.0
    (programs train on ``data[:60000]`` and validate on ``data[60000:]``). The cache is built once;
    its existence is the only check (``clear()`` to rebuild it).

    Parameters
    ----------
    onSample : callable, optional
        Gets one image's 784 bytes (a sequence of ints) and returns what fits (1, 28, 28);
        default: float32 / 255.
    cachename : str
        The cache's file name inside the data folder.

    Returns (from ``load(path, compress="gzip", log=True)``)
    ----------------------------------------------------------
    data: h5py dataset float32 (N, 1, 28, 28); labels: int32 (N,).

    Example::

        >>> loader = MnistLoader()
        >>> data, labels = loader.load(path="mnist", log=False)   # a tiny set: 2 test, 3 training images
        [MnistLoader] Building cache mnist/mnist.hdf ...
        >>> data.shape, str(data.dtype), str(labels.dtype)
        ((5, 1, 28, 28), 'float32', 'int32')
        >>> data, labels = data[:], labels[:]             # numpy arrays
    """

    def __init__(self, onSample=None, cachename="mnist.hdf"):
        super().__init__(("data", "labels"), cachename)
        if onSample is not None and not callable(onSample):
            raise DatasetError("MnistLoader: onSample must be callable, got %r" % (onSample,))
        self.onSample = onSample

    def load(self, path, compress="gzip", log=True):
        """(data, labels) from the cache in ``path``, converting the IDX files first if needed."""
        path = checkPath("MnistLoader", path)
        cachename = os.path.join(path, os.path.basename(self.cachename))
        self.cachename = cachename
        if not os.path.exists(cachename):
            print("[MnistLoader] Building cache %s ..." % cachename)
            images, labels = [], []
            for imgname, lblname in _FILES:
                imgs = _readIdx(os.path.join(path, imgname), _IMAGES)
                lbls = _readIdx(os.path.join(path, lblname), _LABELS)
                if len(imgs) != len(lbls):
                    raise DatasetError("MnistLoader: %s holds %d images but %s holds %d labels" % (
                        os.path.join(path, imgname), len(imgs), os.path.join(path, lblname), len(lbls)))
                self._log(log, "Read %d samples from %s" % (len(imgs), imgname))
                images.append(imgs)
                labels.append(lbls)
            images = np.concatenate(images)
            data = np.empty((len(images), 1, images.shape[1], images.shape[2]), dtype=np.float32)
            if self.onSample is None:
                np.divide(images[:, None], 255.0, out=data, dtype=np.float32)
            else:
                flat = images.reshape(len(images), -1)
                for i in range(len(images)):
                    data[i] = self.onSample(flat[i].tolist())
            self._writeCache(cachename, {"data": data, "labels": np.concatenate(labels).astype(np.int32)}, compress)
        else:
            self._log(log, "Using cache %s" % cachename)
        return self._openCache(cachename)


def _readIdx(filename, magic):
    """uint8 (N, rows, cols) images or (N,) labels from one IDX file."""
    raw = readFile("MnistLoader", filename)
    header = 16 if magic == _IMAGES else 8
    if len(raw) < header:
        raise DatasetError("MnistLoader: %s is truncated: %d bytes, shorter than its %d-byte header" % (
            filename, len(raw), header))
    got = int.from_bytes(raw[:4], "big")
    if got != magic:
        raise DatasetError("MnistLoader: %s: Bad magic number (got %d, expected %d)%s" % (
            filename, got, magic, "; gunzip the file first" if raw[:2] == b"\x1f\x8b" else ""))
    dims = np.frombuffer(raw, dtype=">u4", count=(header - 4) // 4, offset=4).astype(np.int64)
    count = int(np.prod(dims))
    if len(raw) - header != count:
        raise DatasetError("MnistLoader: %s is %s: its header promises %d bytes of %s, it holds %d" % (
            filename, "truncated" if len(raw) - header < count else "longer than its header says", count,
            "x".join(str(d) for d in dims), len(raw) - header))
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(tuple(dims))
