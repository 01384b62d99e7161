"""Cifar10Loader: CIFAR-10 from its "python" archive, read without running pickle code."""
import os
import tarfile

import numpy as np

from PuzzleLib.Datasets.DataLoader import DataLoader
from PuzzleLib.Datasets._files import checkPath
from PuzzleLib.Datasets._safepickle import safeLoads
from PuzzleLib.Errors import DatasetError

_ARCHIVES = ("cifar-10-python.tar.gz", "cifar-10-python.tar")


def _defaultBatch(batch, n):
    return batch.reshape(n, 3, 32, 32).astype(np.float32) * (2.0 / 255.0) - 1.0


class Cifar10Loader(DataLoader):
    """CIFAR-10 from ``cifar-10-python.tar.gz`` (or the unzipped ``cifar-10-python.tar``) in a
    folder, as downloaded; nothing is downloaded here. The batches inside are Python pickles: they
    are read by an unpickler that builds only plain containers and numpy arrays, and a batch
    holding anything else is refused, naming it (loading never runs code from the file).

    Batches are concatenated in the archive's member order, as in PuzzleLib 1.0 (so
    ``data[:50000]`` is not the official training split; the test batch's rows are where the
    archive puts it). The archive must be present even when the cache exists.

    Parameters
    ----------
    onSample : callable, optional
        Kept for PuzzleLib 1.0's signature; unused (as there).
    onSampleBatch : callable, optional
        ``onSampleBatch(batch, n)`` converts one uint8 (n, 3072) batch (R, G, B planes) to
        (n, 3, 32, 32); default: float32 ``x * 2/255 - 1`` (range [-1, 1]).
    cachename : str
        The cache's file name inside the data folder.

    Returns (from ``load(path, compress="gzip", log=True)``)
    ----------------------------------------------------------
    data: h5py dataset float32 (60000, 3, 32, 32); labels: int32 (60000,).

    Example::

        >>> data, labels = Cifar10Loader().load(path="cifar10", log=False)   # a tiny archive of 9 images
        [Cifar10Loader] Building cache cifar10/cifar10.hdf ...
        >>> data.shape, float(data[:].min()) >= -1.0, str(labels.dtype)
        ((9, 3, 32, 32), True, 'int32')
    """

    def __init__(self, onSample=None, onSampleBatch=None, cachename="cifar10.hdf"):
        super().__init__(("data", "labels"), cachename)
        for argname, fn in (("onSample", onSample), ("onSampleBatch", onSampleBatch)):
            if fn is not None and not callable(fn):
                raise DatasetError("Cifar10Loader: %s must be callable, got %r" % (argname, fn))
        self.onSample = onSample
        self.onSampleBatch = _defaultBatch if onSampleBatch is None else onSampleBatch

    def load(self, path, compress="gzip", log=True):
        """(data, labels) from the cache in ``path``, converting the archive first if needed."""
        path = checkPath("Cifar10Loader", path)
        archive = None
        for name in _ARCHIVES:
            if os.path.isfile(os.path.join(path, name)):
                archive = os.path.join(path, name)
                break
        if archive is None:
            raise DatasetError("Cifar10Loader: No proper datafile found in path %s (expected %s)" % (
                path, " or ".join(_ARCHIVES)))
        cachename = os.path.join(path, os.path.basename(self.cachename))
        self.cachename = cachename
        if not os.path.exists(cachename):
            print("[Cifar10Loader] Building cache %s ..." % cachename)
            data, labels = self._readArchive(archive, log)
            self._writeCache(cachename, {"data": data, "labels": labels}, compress)
        else:
            self._log(log, "Using cache %s" % cachename)
        return self._openCache(cachename)

    def _readArchive(self, archive, log):
        data, labels = [], []
        try:
            with tarfile.open(archive) as tar:
                for member in tar:
                    base = os.path.basename(member.name)
                    if not member.isfile() or ("data_batch" not in base and "test_batch" not in base):
                        continue
                    what = "%s (member %s)" % (archive, member.name)
                    batch = safeLoads(tar.extractfile(member).read(), what)
                    x, y = _checkBatch(batch, what)
                    out = np.asarray(self.onSampleBatch(x, len(x)))
                    if out.shape[0] != len(x):
                        raise DatasetError("Cifar10Loader: onSampleBatch gave %d samples for the %d of %s" % (
                            out.shape[0], len(x), what))
                    data.append(out)
                    labels.append(y)
                    self._log(log, "Read %d samples from %s" % (len(x), member.name))
        except (tarfile.TarError, EOFError, OSError) as e:
            raise DatasetError("Cifar10Loader: %s is not a readable tar archive (%s)" % (archive, e)) from e
        if not data:
            raise DatasetError("Cifar10Loader: %s holds no data_batch or test_batch members" % archive)
        return np.concatenate(data), np.concatenate(labels)


def _checkBatch(batch, what):
    if not isinstance(batch, dict):
        raise DatasetError("Cifar10Loader: %s is a pickled %s, not a batch dict" % (what, type(batch).__name__))
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise DatasetError("Cifar10Loader: %s has no 'data' or 'labels' entry (keys %s)" % (
            what, sorted(str(k) for k in batch)))
    x, y = batch["data"], batch["labels"]
    if not (isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 2 and x.shape[1] == 3072):
        raise DatasetError("Cifar10Loader: %s: 'data' must be uint8 (N, 3072), got %s" % (
            what, "%s %s" % (x.dtype, x.shape) if isinstance(x, np.ndarray) else type(x).__name__))
    try:
        y = np.asarray(y)
        ok = y.shape == (len(x),) and np.issubdtype(y.dtype, np.integer) and (y.size == 0 or 0 <= y.min() <= y.max() < 10)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise DatasetError("Cifar10Loader: %s: 'labels' must be %d ints in 0..9" % (what, len(x)))
    return x, y.astype(np.int32)
