"""DataLoader: the base of the loaders that convert a data set once into an HDF5 cache."""
import os

from PuzzleLib.Errors import DatasetError


class DataLoader:
    """The base of the cached loaders (MnistLoader, Cifar10Loader, ...): a loader converts its raw
    files once into an HDF5 file, the cache, and every later ``load`` opens the cache read-only and
    returns its h5py datasets (slice them, ``data[:]``, for numpy arrays). A cache is written to a
    temporary file first and renamed when complete, so an interrupted conversion leaves no cache.

    Parameters
    ----------
    datanames : str or list of str, optional
        The names of the datasets inside the cache (default ``["data"]``).
    cachename : str, optional
        The cache file's name.

    Example::

        >>> loader = DataLoader(datanames="images", cachename="images.hdf")
        >>> loader.datanames, loader.cachename
        (['images'], 'images.hdf')
        >>> loader.clear()   # no cache yet: nothing to delete
    """

    def __init__(self, datanames=None, cachename=None):
        if datanames is None:
            datanames = ["data"]
        elif isinstance(datanames, str):
            datanames = [datanames]
        if not (isinstance(datanames, (list, tuple)) and all(isinstance(n, str) and n for n in datanames)):
            raise DatasetError("%s: datanames must be a name or a list of names, got %r" % (
                type(self).__name__, datanames))
        if cachename is not None and not isinstance(cachename, (str, os.PathLike)):
            raise DatasetError("%s: cachename must be a file name, got %r" % (type(self).__name__, cachename))
        self.datanames = list(datanames)
        self.cachename = None if cachename is None else os.fspath(cachename)
        self.cachefile = None

    def clear(self):
        """Deletes the cache file, if there is one (the next ``load`` rebuilds it)."""
        self._close()
        if self.cachename is not None and os.path.exists(self.cachename):
            os.remove(self.cachename)

    def _close(self):
        if self.cachefile is not None:
            try:
                self.cachefile.close()
            except Exception:  # already closed by h5py at exit
                pass
            self.cachefile = None

    def _log(self, log, message):
        if log:
            print("[%s] %s" % (type(self).__name__, message))

    def _openCache(self, cachename):
        """The cache's datasets (named by ``self.datanames``), from the file opened read-only."""
        import h5py
        self._close()
        try:
            self.cachefile = h5py.File(cachename, "r")
            return tuple(self.cachefile[name] for name in self.datanames)
        except (OSError, KeyError) as e:
            self._close()
            raise DatasetError("%s: cache %s is unreadable or incomplete (%s); delete it to rebuild it" % (
                type(self).__name__, cachename, e)) from e

    def _writeCache(self, cachename, arrays, compress="gzip", extra=None):
        """Writes ``arrays`` (name -> numpy array) and ``extra`` (name -> callable(h5file)) atomically."""
        import h5py
        if compress not in (None, "gzip", "lzf"):
            raise DatasetError("%s: compress must be 'gzip', 'lzf' or None, got %r" % (type(self).__name__, compress))
        tmp = "%s.tmp%d" % (cachename, os.getpid())
        try:
            with h5py.File(tmp, "w") as f:
                for name, ary in arrays.items():
                    f.create_dataset(name, data=ary, compression=compress if ary.size else None)
                if extra is not None:
                    extra(f)
            os.replace(tmp, cachename)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    def __repr__(self):
        return "%s(cachename=%r)" % (type(self).__name__, self.cachename)
