"""Reading the pickles some data sets ship as (CIFAR-10's batches, Keras's imdb.npz object arrays)
without running code from them: only plain containers and numpy arrays are built."""
import io
import pickle

import numpy as np

from PuzzleLib.Errors import DatasetError

# the callables a pickled numpy array (of any protocol, numpy 1 or 2, Python 2 or 3) refers to
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("_codecs", "encode"),  # how Python 3 writes bytes at protocols below 3 (a codec only converts data)
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, what):
        super().__init__(file, encoding="latin1")
        self.what = what

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise DatasetError("%s: refused to unpickle %s.%s (only plain containers and numpy arrays are read; "
                           "a data file holding other objects could run code)" % (self.what, module, name))

    def persistent_load(self, pid):
        raise DatasetError("%s: refused a persistent id in the pickle" % self.what)


def _checkArrays(obj, what, depth=0):
    if depth > 100:
        raise DatasetError("%s: the pickle nests deeper than 100 levels" % what)
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            for item in obj.ravel():
                _checkArrays(item, what, depth + 1)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _checkArrays(key, what, depth + 1)
            _checkArrays(value, what, depth + 1)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            _checkArrays(item, what, depth + 1)


def safeLoads(data, what):
    """The object pickled in ``data`` (bytes), built from containers, numbers, strings and numpy
    arrays only; anything else (or a broken pickle) is a DatasetError naming ``what``."""
    try:
        obj = _RestrictedUnpickler(io.BytesIO(data), what).load()
    except DatasetError:
        raise
    except RecursionError as e:
        raise DatasetError("%s: the pickle nests too deeply" % what) from e
    except Exception as e:  # pickle reports truncation and bad opcodes as many types
        raise DatasetError("%s: not a readable pickle (%s: %s)" % (what, type(e).__name__, e)) from e
    _checkArrays(obj, what)
    return obj


def safeLoadNpz(path, what=None):
    """The arrays of an .npz file as a dict; object arrays are read with the restricted unpickler
    (``np.load(allow_pickle=True)`` would run whatever the file holds)."""
    import zipfile
    from numpy.lib import format as npformat
    what = what or path
    arrays = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for member in zf.namelist():
                if not member.endswith(".npy"):
                    continue
                name = member[:-4]
                with zf.open(member) as fp:
                    version = npformat.read_magic(fp)
                    if version == (1, 0):
                        shape, fortran, dtype = npformat.read_array_header_1_0(fp)
                    else:
                        shape, fortran, dtype = npformat.read_array_header_2_0(fp)
                    body = fp.read()
                if dtype.hasobject:
                    ary = safeLoads(body, "%s (array %r)" % (what, name))
                    if not isinstance(ary, (np.ndarray, list)):
                        raise DatasetError("%s: array %r is a pickled %s, not an array" % (
                            what, name, type(ary).__name__))
                    ary = np.asarray(ary, dtype=object) if isinstance(ary, list) else ary
                else:
                    count = int(np.prod(shape, dtype=np.int64))
                    if len(body) < count * dtype.itemsize:
                        raise DatasetError("%s: array %r is truncated (%d of %d bytes)" % (
                            what, name, len(body), count * dtype.itemsize))
                    ary = np.frombuffer(body, dtype=dtype, count=count)
                    ary = ary.reshape(shape[::-1]).T if fortran else ary.reshape(shape)
                if ary.shape != tuple(shape):
                    raise DatasetError("%s: array %r has shape %s, its header says %s" % (
                        what, name, ary.shape, tuple(shape)))
                arrays[name] = ary
    except DatasetError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise DatasetError("%s: not a readable .npz file (%s)" % (what, e)) from e
    return arrays
