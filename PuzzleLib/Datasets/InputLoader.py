"""InputLoader: the base of the loaders that read every image (or other file) of zip files, tar
files or folders into one HDF5 dataset."""
import contextlib
import numbers
import os

import numpy as np

from PuzzleLib.Datasets.DataLoader import DataLoader
from PuzzleLib.Errors import DatasetError


def _defaultOnFile(file):
    """An image file (a binary stream or a path) as float32 (1, C, H, W) in [-1, 1]."""
    try:
        from PIL import Image
    except ImportError as e:
        raise DatasetError("reading images needs Pillow; pip install 'puzzlelib[datasets]' (or Pillow)") from e
    with Image.open(file) as img:
        img.load()
        if img.mode not in ("L", "RGB"):
            img = img.convert("RGB" if img.mode not in ("1", "I", "I;16", "F") else "L")
        ary = np.asarray(img, dtype=np.float32)
    ary = ary[None] if ary.ndim == 2 else ary.transpose(2, 0, 1)
    return (ary * (2.0 / 255.0) - 1.0)[None]


class InputLoader(DataLoader):
    """The base of ZipLoader, TarLoader and PathLoader: every file of the inputs whose name ends in
    one of ``exts`` goes through ``onFile``, and the samples it returns are stacked into one HDF5
    dataset, the cache. The cache remembers each input's modification time and which inputs it was
    built from, and is rebuilt when an input is newer or the list of inputs changed.

    A new source of files subclasses it with ``checkInput(name)``, ``openInput(name)`` (a context
    manager giving a handle), ``loadFilelist(handle)`` and ``openFile(handle, file)``.

    Parameters
    ----------
    onFile : callable, optional
        Gets one file (a binary stream) and returns an array with a leading sample axis;
        default: a Pillow image as float32 ``x * 2/255 - 1``, (1, C, H, W).
    exts : list of str, optional
        File endings taken (case-insensitive; default ``.png .jpg .jpeg``).
    dataname : str, optional
        The dataset's name in the cache (default "data").
    cachename : str, optional
        The cache file (default: the first input with its extension replaced by ".hdf").
    onFileList : callable, optional
        Gets the list of file names and returns the list to read (to filter or order them).

    Returns (from ``load(inputnames, maxsamples=None, filepacksize=5000, compress="gzip", log=True)``)
    --------------------------------------------------------------------------------------------------
    One h5py dataset (N, ...) with the samples in the inputs' order.
    """

    def __init__(self, onFile=None, exts=None, dataname=None, cachename=None, onFileList=None):
        super().__init__(dataname, cachename)
        name = type(self).__name__
        for argname, fn in (("onFile", onFile), ("onFileList", onFileList)):
            if fn is not None and not callable(fn):
                raise DatasetError("%s: %s must be callable, got %r" % (name, argname, fn))
        if exts is None:
            exts = ["png", "jpg", "jpeg"]
        elif isinstance(exts, str):
            exts = [exts]
        if not (isinstance(exts, (list, tuple)) and exts and all(isinstance(e, str) and e.strip(".") for e in exts)):
            raise DatasetError("%s: exts must be file endings such as ['png', 'jpg'], got %r" % (name, exts))
        self.onFile = _defaultOnFile if onFile is None else onFile
        self.onFileList = onFileList
        self.exts = tuple("." + e.lower().lstrip(".") for e in exts)
        self.dataname = self.datanames[0]

    # the contract a source implements
    def checkInput(self, name):
        raise NotImplementedError

    def openInput(self, name):
        raise NotImplementedError

    def loadFilelist(self, handle):
        raise NotImplementedError

    def openFile(self, handle, file):
        raise NotImplementedError

    def load(self, inputnames, maxsamples=None, filepacksize=5000, compress="gzip", log=True):
        """The samples of every file in ``inputnames`` (a path or a list of paths), from the cache."""
        name = type(self).__name__
        if isinstance(inputnames, (str, bytes, os.PathLike)):
            inputnames = [inputnames]
        if not (isinstance(inputnames, (list, tuple)) and inputnames and
                all(isinstance(n, (str, bytes, os.PathLike)) for n in inputnames)):
            raise DatasetError("%s: inputnames must be a path or a list of paths, got %r" % (name, inputnames))
        inputnames = [os.fsdecode(n) for n in inputnames]
        for argname, value, optional in (("maxsamples", maxsamples, True), ("filepacksize", filepacksize, False)):
            if (value is None and optional):
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise DatasetError("%s: %s must be a positive integer%s, got %r" % (
                    name, argname, " or None" if optional else "", value))
        for inp in inputnames:
            self.checkInput(inp)

        if self.cachename is None:
            self.cachename = os.path.splitext(inputnames[0])[0] + ".hdf"
        stamps = {_stampKey(inp): os.path.getmtime(inp) for inp in inputnames}
        if self._cacheValid(stamps):
            self._log(log, "Using cache %s" % self.cachename)
            return self._openCache(self.cachename)[0]

        print("[%s] Building cache %s ..." % (name, self.cachename))
        self._close()
        self._build(inputnames, stamps, maxsamples, filepacksize, compress, log)
        return self._openCache(self.cachename)[0]

    def _cacheValid(self, stamps):
        import h5py
        if not os.path.exists(self.cachename):
            return False
        try:
            with h5py.File(self.cachename, "r") as f:
                stored = {key: float(f["timestamps"][key][()]) for key in f["timestamps"]}
                ok = self.dataname in f
        except (OSError, KeyError, ValueError):
            return False
        return ok and set(stored) == set(stamps) and all(stamps[k] <= stored[k] for k in stamps)

    def _build(self, inputnames, stamps, maxsamples, filepacksize, compress, log):
        import h5py
        name = type(self).__name__
        tmp = "%s.tmp%d" % (self.cachename, os.getpid())
        total = 0
        try:
            with h5py.File(tmp, "w") as f:
                dset = None
                for inp in inputnames:
                    with self.openInput(inp) as handle:
                        files = [fn for fn in self.loadFilelist(handle) if fn.lower().endswith(self.exts)]
                        if self.onFileList is not None:
                            files = list(self.onFileList(files))
                        self._log(log, "%d files in %s" % (len(files), inp))
                        for start in range(0, len(files), filepacksize):
                            if maxsamples is not None and total >= maxsamples:
                                break
                            pack = [self._sample(handle, inp, fn) for fn in files[start:start + filepacksize]]
                            pack = [p for p in pack if len(p)]
                            if not pack:
                                continue
                            pack = self._stack(pack, inp, files[start])
                            if maxsamples is not None:
                                pack = pack[:maxsamples - total]
                            if dset is None:
                                dset = f.create_dataset(self.dataname, shape=(0,) + pack.shape[1:], dtype=pack.dtype,
                                                        maxshape=(None,) + pack.shape[1:],
                                                        chunks=(1,) + pack.shape[1:],
                                                        compression=compress)
                            elif pack.shape[1:] != dset.shape[1:]:
                                raise DatasetError("%s: files in %s give samples of shape %s, earlier ones %s" % (
                                    name, inp, pack.shape[1:], dset.shape[1:]))
                            dset.resize(total + len(pack), axis=0)
                            dset[total:] = pack
                            total += len(pack)
                            self._log(log, "%d samples" % total)
                if dset is None:
                    raise DatasetError("%s: no files ending in %s in %s" % (
                        name, ", ".join(self.exts), ", ".join(inputnames)))
                group = f.create_group("timestamps")
                for key, stamp in stamps.items():
                    group[key] = stamp
            os.replace(tmp, self.cachename)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    def _sample(self, handle, inp, fn):
        try:
            with contextlib.ExitStack() as stack:
                file = self.openFile(handle, fn)
                if hasattr(file, "close"):
                    stack.callback(file.close)
                ary = np.asarray(self.onFile(file))
        except DatasetError as e:
            raise DatasetError("%s: Unpacking failure: %s in %s: %s" % (type(self).__name__, fn, inp, e)) from e
        except Exception as e:
            raise DatasetError("%s: Unpacking failure: %s in %s: %s: %s" % (
                type(self).__name__, fn, inp, type(e).__name__, e)) from e
        if ary.ndim < 1:
            raise DatasetError("%s: onFile gave a scalar for %s in %s; it must return samples along a first axis" % (
                type(self).__name__, fn, inp))
        return ary

    def _stack(self, pack, inp, first):
        try:
            return np.concatenate(pack)
        except ValueError as e:
            shapes = sorted({p.shape[1:] for p in pack})
            raise DatasetError("%s: files in %s (from %s on) give samples of different shapes %s; resize them in "
                               "onFile" % (type(self).__name__, inp, first, shapes)) from e


def _stampKey(path):
    return os.path.normpath(os.path.abspath(path)).replace("/", "\\")
