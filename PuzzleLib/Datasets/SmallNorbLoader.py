"""SmallNorbLoader: the small NORB stereo images from their uncompressed NORB matrix files."""
import os

import numpy as np

from PuzzleLib.Datasets.DataLoader import DataLoader
from PuzzleLib.Datasets._files import checkPath, readFile
from PuzzleLib.Errors import DatasetError

_PARTS = (("training", "smallnorb-5x46789x9x18x6x2x96x96-training-%s.mat"),
          ("testing", "smallnorb-5x01235x9x18x6x2x96x96-testing-%s.mat"))
_MAGIC = {0x1E3D4C55: np.uint8, 0x1E3D4C54: np.dtype("<u4")}


class SmallNorbLoader(DataLoader):
    """small NORB (5 toy categories, stereo pairs) from the six uncompressed ``.mat`` files of the
    official distribution (``smallnorb-5x46789x9x18x6x2x96x96-training-dat.mat``, ``-cat``,
    ``-info`` and the same for ``5x01235...-testing``) in a folder; nothing is downloaded. Each
    96x96 image is resized to 28x28 with Pillow, not normalised (0..255 as float32), as in
    PuzzleLib 1.0. Training samples come first, then testing ones.

    Parameters
    ----------
    onSample : callable, optional
        Converts one uint8 (96, 96) image; must return an array of ``sampleInfo``'s shape.
    sampleInfo : (dtype, shape), optional
        What ``onSample`` returns; default ``(np.float32, (28, 28))``.
    cachename : str, optional
        The cache's file name inside the data folder (default ``smallnorb.hdf``).

    Returns (from ``load(path, sort=False, compress="gzip", log=True, onlyTest=False)``)
    ------------------------------------------------------------------------------------
    data: h5py dataset (48600, 2, 28, 28); labels: uint32 (48600,) in 0..4; info: uint32
    (48600, 4) = instance, elevation, azimuth, lighting. With ``sort=True``, numpy arrays ordered
    as (5 labels, 10 instances, 6 lightings, 9 elevations, 18 azimuths) + sample shape, the labels
    and info likewise. With ``onlyTest=True`` the testing files only.

    Example::

        >>> data, labels, info = SmallNorbLoader().load("smallnorb", log=False)   # 3 training, 2 testing pairs
        [SmallNorbLoader] Building cache smallnorb/smallnorb.hdf ...
        >>> data.shape, str(labels.dtype), info.shape
        ((5, 2, 28, 28), 'uint32', (5, 4))
    """

    def __init__(self, onSample=None, sampleInfo=None, cachename=None):
        super().__init__(("data", "labels", "info"), "smallnorb.hdf" if cachename is None else cachename)
        if onSample is not None and not callable(onSample):
            raise DatasetError("SmallNorbLoader: onSample must be callable, got %r" % (onSample,))
        if sampleInfo is None:
            sampleInfo = (np.float32, (28, 28))
        try:
            dtype, shape = sampleInfo
            dtype, shape = np.dtype(dtype), tuple(int(s) for s in shape)
        except (TypeError, ValueError) as e:
            raise DatasetError("SmallNorbLoader: sampleInfo must be (dtype, image shape), got %r" % (
                sampleInfo,)) from e
        self.onSample = onSample
        self.sampleInfo = (dtype, shape)

    def load(self, path, sort=False, compress="gzip", log=True, onlyTest=False):
        """(data, labels, info) from the cache in ``path``, converting the .mat files first if needed."""
        path = checkPath("SmallNorbLoader", path)
        cachename = os.path.join(path, os.path.basename(self.cachename))
        if onlyTest:
            root, ext = os.path.splitext(cachename)
            cachename = root + "-test" + ext
        self.cachename = cachename
        if not os.path.exists(cachename):
            print("[SmallNorbLoader] Building cache %s ..." % cachename)
            data, labels, info = [], [], []
            for part, pattern in _PARTS[1:] if onlyTest else _PARTS:
                dat = _readNorb(os.path.join(path, pattern % "dat"), 4)
                cat = _readNorb(os.path.join(path, pattern % "cat"), 1)
                inf = _readNorb(os.path.join(path, pattern % "info"), 2)
                if dat.dtype != np.uint8 or dat.shape[1:] != (2, 96, 96) or cat.dtype == np.uint8 or \
                        inf.dtype == np.uint8 or inf.shape[1:] != (4,) or not len(dat) == len(cat) == len(inf):
                    raise DatasetError("SmallNorbLoader: the %s files do not match: dat %s %s, cat %s, info %s "
                                       "(expected uint8 (N, 2, 96, 96), int (N,), int (N, 4))" % (
                                           part, dat.dtype, dat.shape, cat.shape, inf.shape))
                data.append(self._convert(dat))
                labels.append(cat.astype(np.uint32))
                info.append(inf.astype(np.uint32))
                self._log(log, "Read %d %s samples" % (len(dat), part))
            self._writeCache(cachename, {"data": np.concatenate(data), "labels": np.concatenate(labels),
                                         "info": np.concatenate(info)}, compress)
        else:
            self._log(log, "Using cache %s" % cachename)
        data, labels, info = self._openCache(cachename)
        if sort:
            return _sort(data[:], labels[:], info[:])
        return data, labels, info

    def _convert(self, dat):
        dtype, shape = self.sampleInfo
        out = np.empty((dat.shape[0], dat.shape[1]) + shape, dtype=dtype)
        if self.onSample is None:
            try:
                from PIL import Image
            except ImportError as e:
                raise DatasetError("SmallNorbLoader: resizing the images needs Pillow; "
                                   "pip install 'puzzlelib[datasets]' (or Pillow)") from e
            size = (shape[-1], shape[-2])
            for i in range(dat.shape[0]):
                for j in range(dat.shape[1]):
                    out[i, j] = np.asarray(Image.fromarray(dat[i, j]).resize(size), dtype=dtype)
        else:
            for i in range(dat.shape[0]):
                for j in range(dat.shape[1]):
                    out[i, j] = self.onSample(dat[i, j])
        return out


def _sort(data, labels, info):
    """Arrays indexed (label, instance, lighting, elevation, azimuth // 2)."""
    if len(data) == 0:
        return data, labels, info
    # a category's instances (4, 6, 7, 8, 9 in training, 0..3 and 5 in testing) take slots 0, 1, ...
    # in ascending order
    slot = np.empty(len(data), dtype=np.int64)
    for label in np.unique(labels):
        rows = labels == label
        slot[rows] = np.searchsorted(np.unique(info[rows, 0]), info[rows, 0])
    grid = (int(labels.max()) + 1, int(slot.max()) + 1, int(info[:, 3].max()) + 1, int(info[:, 1].max()) + 1,
            int(info[:, 2].max()) // 2 + 1)
    outData = np.zeros(grid + data.shape[1:], dtype=data.dtype)
    outLabels = np.zeros(grid, dtype=labels.dtype)
    outInfo = np.zeros(grid + (4,), dtype=info.dtype)
    idx = (labels.astype(np.int64), slot, info[:, 3].astype(np.int64), info[:, 1].astype(np.int64),
           info[:, 2].astype(np.int64) // 2)
    outData[idx] = data
    outLabels[idx] = labels
    outInfo[idx] = info
    return outData, outLabels, outInfo


def _readNorb(filename, ndimExpected):
    raw = readFile("SmallNorbLoader", filename)
    if len(raw) < 8:
        raise DatasetError("SmallNorbLoader: %s is truncated (%d bytes, no header)" % (filename, len(raw)))
    magic, ndim = np.frombuffer(raw, dtype="<i4", count=2)
    magic = int(magic) & 0xFFFFFFFF
    if magic not in _MAGIC:
        raise DatasetError("SmallNorbLoader: %s: bad magic number 0x%X (expected 0x1E3D4C55 for images or "
                           "0x1E3D4C54 for integers)%s" % (filename, magic,
                                                            "; gunzip the file first" if raw[:2] == b"\x1f\x8b" else ""))
    if ndim != ndimExpected:
        raise DatasetError("SmallNorbLoader: %s has %d dimensions, expected %d" % (filename, ndim, ndimExpected))
    header = 8 + 4 * max(int(ndim), 3)
    if len(raw) < header:
        raise DatasetError("SmallNorbLoader: %s is truncated (%d bytes, header needs %d)" % (filename, len(raw), header))
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype="<i4", count=int(ndim), offset=8))
    dtype = np.dtype(_MAGIC[magic])
    need = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != need:
        raise DatasetError("SmallNorbLoader: %s is %s: its header promises %s (%d bytes), it holds %d" % (
            filename, "truncated" if len(raw) - header < need else "longer than its header says",
            "x".join(str(d) for d in dims), need, len(raw) - header))
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
