"""Model files: HDF5 with groups ``params`` / ``links`` / ``attrs`` / ``attrs.*`` and an optional JSON blueprint.

Layout (what ``Module.save`` writes and ``Module.load`` reads):

- ``params/<i>``: one dataset per distinct Variable, ``i = 0, 1, ...`` (a shared Variable once);
- ``links/<module path>.<param>``: scalar index into ``params``. The module path joins names with
  dots from the root down, the root's own name first, empty when it has none (".0.W" for the
  first Linear of an unnamed Sequential, "fc.W" for a lone Linear named "fc");
- ``attrs/<module path>.<attr>``: the non-trained state of modules (e.g. running means);
- ``attrs.<container path>``: a group per container with its own attributes, empty when it has
  none (``attrs.`` for an unnamed root);
- ``blueprint``: optional scalar string, JSON enough to rebuild the net (``PuzzleLib.Blueprint``).

No pickle: only numeric datasets and one JSON string are ever read, so loading runs no code.
Saving to a path writes a temporary file in the same folder and renames it over the target, so a
crash mid-save leaves the old file whole. Loading checks every array before changing anything, and
refuses a bad file with a :class:`SerializationError` that names the file and the parameter.
"""
import enum
import io
import json
import numbers
import os
import tempfile

import h5py
import numpy as np

from PuzzleLib.Errors import BlueprintError, PuzzleLibError, SerializationError

# set by PuzzleLib.Grid in a grid of several processes: a callable telling whether this process
# writes files given by path (rank 0 does, the others skip the write)
_writeGate = None


def jsonable(value, owner="module"):
    """Turn constructor arguments into JSON values (tuples to lists, numpy scalars to numbers)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value, owner)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v, owner) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v, owner) for k, v in value.items()}
    if isinstance(value, slice):
        return {"slice": [jsonable(value.start), jsonable(value.stop), jsonable(value.step)]}
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist(), owner)
    raise BlueprintError("%s: cannot describe constructor argument %r in a blueprint" % (owner, value))


# ---- what a net holds -------------------------------------------------------------------------

def _shortPath(path, root):
    """'<root>.<a>.<b>.<module>' -> '<root>.<module>' (PuzzleLib 1.0's assumeUniqueNames)."""
    if path == root:
        return path
    return "%s.%s" % (root, path[len(root) + 1:].rsplit(".", 1)[-1])


def _collect(mod, assumeUniqueNames=False):
    """(links, moduleAttrs, containerAttrs).

    links: '<path>.<param>' -> Variable; moduleAttrs: '<path>.<attr>' -> array (in group
    ``attrs``); containerAttrs: 'attrs.<path>' -> {attr name: array}. With ``assumeUniqueNames``
    every path is shortened to '<root>.<module name>', so flat files (converted from Caffe or
    MXNet) match nested nets; two modules that then share a name are refused."""
    links = {}
    moduleAttrs = {}
    containerAttrs = {}
    root = mod.name or ""
    owners = {}
    for path, m, isContainer in mod._walk(root):
        if assumeUniqueNames:
            path = _shortPath(path, root)
        if "/" in path:
            raise SerializationError("%s: a module name holds '/', which HDF5 reads as a group separator (module "
                                     "path %r); rename the module" % (m._label(), path))
        for pname, var in m.vars.items():
            _claim(owners, "%s.%s" % (path, pname), m)
            links["%s.%s" % (path, pname)] = var
        if isContainer:
            if assumeUniqueNames and not m.attrs:
                continue  # nested unnamed containers would all shorten to '<root>.0'; they store nothing
            _claim(owners, "attrs.%s" % path, m)
            containerAttrs["attrs.%s" % path] = dict(m.attrs)
        else:
            for aname, attr in m.attrs.items():
                _claim(owners, "attrs/%s.%s" % (path, aname), m)
                moduleAttrs["%s.%s" % (path, aname)] = attr
    return links, moduleAttrs, containerAttrs


def _claim(owners, name, mod):
    """Refuse two modules whose dotted paths give the same stored name (names holding dots)."""
    other = owners.setdefault(name, mod)
    if other is not mod:
        raise SerializationError("%s and %s would both be stored as %r (a module name holds a dot); rename one" % (
            other._label(), mod._label(), name))


def describe(hdf):
    """How an error message names a file: its path, or the size of the bytes."""
    if isinstance(hdf, (str, os.PathLike)):
        return "'%s'" % os.fspath(hdf)
    if isinstance(hdf, (bytes, bytearray, memoryview)):
        return "<%d bytes>" % len(hdf)
    if isinstance(hdf, (h5py.File, h5py.Group)):
        try:
            return "'%s'" % hdf.file.filename
        except Exception:
            return "<h5py %s>" % type(hdf).__name__
    return "<%s>" % type(hdf).__name__


def _host(ary):
    return ary.get() if hasattr(ary, "get") else np.asarray(ary)


def _createArray(group, name, data, compress):
    """A dataset, with a Fletcher-32 checksum (so corrupted bytes are caught on read) when chunkable."""
    data = np.ascontiguousarray(data)
    if data.ndim == 0 or data.size == 0:
        return group.create_dataset(name, data=data)
    return group.create_dataset(name, data=data, fletcher32=True,
                                compression=compress if data.size > 16 else None)


# ---- writing ----------------------------------------------------------------------------------

def _writeInto(f, mod, compress, withBlueprint, assumeUniqueNames=False):
    links, moduleAttrs, containerAttrs = _collect(mod, assumeUniqueNames)
    blueprint = json.dumps(mod.getBlueprint()) if withBlueprint else None
    params = f.require_group("params")
    linkGroup = f.require_group("links")
    index = {}
    for linkname, var in links.items():
        i = index.get(id(var))
        if i is None:
            i = len(index)
            index[id(var)] = i
            _createArray(params, str(i), _host(var.data), compress)
        linkGroup.create_dataset(linkname, data=np.int64(i))
    attrGroup = f.require_group("attrs")
    for name, attr in moduleAttrs.items():
        _createArray(attrGroup, name, _host(attr), compress)
    for gname, attrs in containerAttrs.items():
        group = f.require_group(gname)
        for aname, attr in attrs.items():
            _createArray(group, aname, _host(attr), compress)
    if blueprint is not None:
        # a fixed-length string: its bytes sit in the dataset itself, not in HDF5's global heap,
        # whose corruption can hang or crash the HDF5 library while reading (vlen strings still load)
        f.create_dataset("blueprint", data=np.bytes_(blueprint.encode("utf-8")))


def _newFileMode(path):
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomicWrite(hdf, write, what="file"):
    """Write an HDF5 file with ``write(h5pyFile)``.

    ``hdf`` is a path (written to a temporary file in the same folder, synced, then renamed over
    the target: a crash leaves the old file whole), an open h5py file/group (written into), or None
    (the file's bytes are returned). In a grid of several processes (``PuzzleLib.Grid``) only rank
    0 writes a path; on the other ranks the call returns None and writes nothing.
    """
    if hdf is None:
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            write(f)
        return buffer.getvalue()

    if isinstance(hdf, (h5py.File, h5py.Group)):
        write(hdf)
        return None

    if not isinstance(hdf, (str, os.PathLike)):
        raise SerializationError("save: expected a path, an h5py file or None, got %s" % type(hdf).__name__)
    if _writeGate is not None and not _writeGate():
        return None  # a grid's rank other than 0: rank 0 writes the file
    path = os.path.abspath(os.fspath(hdf))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise SerializationError("cannot write %s '%s': folder '%s' does not exist" % (what, path, folder))
    if os.path.isdir(path):
        raise SerializationError("cannot write %s '%s': it is a folder" % (what, path))
    mode = _newFileMode(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=folder)
    except OSError as e:
        raise SerializationError("cannot write %s '%s': %s" % (what, path, e)) from None
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            write(f)
        with open(tmp, "rb+") as fobj:
            os.fsync(fobj.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, Exception) and not isinstance(e, PuzzleLibError):
            raise SerializationError("could not write %s '%s': %s: %s" % (what, path, type(e).__name__, e)) from e
        raise
    try:
        dirfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        os.fsync(dirfd)
    except OSError:
        pass
    finally:
        os.close(dirfd)
    return None


def saveModule(mod, hdf=None, compress="gzip", withBlueprint=False, assumeUniqueNames=False):
    """Write ``mod`` to ``hdf`` (path, open h5py file/group, or None for bytes)."""
    if assumeUniqueNames:
        write = lambda f: _writeInto(f, mod, compress, withBlueprint, assumeUniqueNames=True)  # noqa: E731
    else:
        write = lambda f: _writeInto(f, mod, compress, withBlueprint)  # noqa: E731
    return atomicWrite(hdf, write, what="model file")


# ---- reading ----------------------------------------------------------------------------------

def openForReading(hdf, what="model file"):
    """(an open h5py file or group, whether the caller must close it) for a path, bytes or an open file."""
    if isinstance(hdf, (h5py.File, h5py.Group)):
        return hdf, False
    name = describe(hdf)
    try:
        if isinstance(hdf, (bytes, bytearray, memoryview)):
            return h5py.File(io.BytesIO(bytes(hdf)), "r"), True
        if isinstance(hdf, (str, os.PathLike)):
            if not os.path.exists(hdf):
                raise SerializationError("%s %s does not exist" % (what, name))
            if os.path.isdir(hdf):
                raise SerializationError("%s %s is a folder" % (what, name))
            return h5py.File(hdf, "r"), True
    except SerializationError:
        raise
    except Exception as e:
        raise SerializationError("%s %s is not a readable HDF5 file (truncated or corrupted?): %s" % (
            what, name, e)) from None
    raise SerializationError("load: expected a path, bytes or an h5py file, got %s" % type(hdf).__name__)


def readFile(hdf, kind, read, name=None):
    """Open ``hdf`` (a path, bytes or an open h5py file), return ``read(f, what)`` and close what
    was opened here.

    ``what`` ("<kind> <name>", the name from ``describe`` unless given) names the file in messages;
    an error in ``read`` that is not a :class:`SerializationError` becomes one saying the file
    could not be read.
    """
    f, close = openForReading(hdf, what=kind)
    what = "%s %s" % (kind, name or describe(hdf))
    try:
        return read(f, what)
    except SerializationError:
        raise
    except Exception as e:
        raise SerializationError("%s could not be read (corrupted?): %s: %s" % (
            what, type(e).__name__, e)) from None
    finally:
        if close:
            f.close()


def loadModule(mod, hdf, name=None, assumeUniqueNames=False):
    """Load parameters and attributes into ``mod``; checks everything before changing anything.

    ``name`` overrides how errors name the file (when ``hdf`` is an already open file)."""
    updates = readFile(hdf, "model file", lambda f, what: _readChecked(f, mod, what, assumeUniqueNames), name)
    for target, values in updates:
        target.set(values)


def readArray(group, name, what, label, shape=None):
    """Read dataset ``name`` of ``group`` as a numeric numpy array, refusing anything else.

    ``what`` names the file, ``label`` the thing read (both go into error messages); when ``shape``
    is given the array must have it.
    """
    try:
        ds = group.get(name)
    except Exception as e:
        raise SerializationError("%s: %s could not be read (corrupted?): %s" % (what, label, e)) from None
    if ds is None:
        raise SerializationError("%s: %s is missing" % (what, label))
    if not isinstance(ds, h5py.Dataset):
        raise SerializationError("%s: %s is not an array" % (what, label))
    if ds.dtype.kind not in "fiub":
        raise SerializationError("%s: %s has non-numeric dtype %s" % (what, label, ds.dtype))
    if shape is not None and tuple(ds.shape) != tuple(shape):
        raise SerializationError("%s: %s has shape %s, expected %s" % (what, label, tuple(ds.shape), tuple(shape)))
    try:
        return np.asarray(ds[()])
    except Exception as e:
        raise SerializationError("%s: %s could not be read (corrupted?): %s" % (what, label, e)) from None


def _readInto(group, name, target, what, label, readLabel=None):
    """(target, values): the stored array ``name`` of ``group``, checked against the shape of the
    array ``target`` it is to be copied into, in ``target``'s dtype (``readLabel``, if given, names
    it in errors about the stored array itself)."""
    values = readArray(group, name, what, readLabel or label)
    if tuple(values.shape) != tuple(target.shape):
        raise SerializationError("%s: %s has shape %s, the net expects %s" % (
            what, label, tuple(values.shape), tuple(target.shape)))
    return target, values.astype(target.dtype, copy=False)


def _readChecked(f, mod, what, assumeUniqueNames=False):
    for gname in ("params", "links"):
        if not isinstance(f.get(gname), h5py.Group):
            raise SerializationError("%s has no '%s' group: not a PuzzleLib model file" % (what, gname))
    links, moduleAttrs, containerAttrs = _collect(mod, assumeUniqueNames)
    fileLinks = f["links"]
    params = f["params"]

    fileNames = list(fileLinks.keys())
    missing = [name for name in links if name not in fileLinks]
    if missing:
        raise SerializationError("%s: parameter %r is missing (the file holds %s)" % (
            what, missing[0], ", ".join(repr(n) for n in sorted(fileNames)[:8]) or "no parameters"))
    extra = [name for name in fileNames if name not in links]
    if extra:
        raise SerializationError("%s holds parameter %r that the net does not have (a different net?)" % (
            what, extra[0]))

    updates = []
    for linkname, var in links.items():
        label = "parameter %r" % linkname
        idx = readArray(fileLinks, linkname, what, "the link of " + label)
        if idx.shape != () or idx.dtype.kind not in "iu":
            raise SerializationError("%s: the link of %s is not an integer index" % (what, label))
        idx = str(int(idx))
        updates.append(_readInto(params, idx, var.data, what, label, "%s (params/%s)" % (label, idx)))

    attrGroup = f.get("attrs")
    for name, attr in moduleAttrs.items():
        label = "attribute %r" % name
        if not isinstance(attrGroup, h5py.Group):
            raise SerializationError("%s: %s is missing (no 'attrs' group)" % (what, label))
        updates.append(_readInto(attrGroup, name, attr, what, label))

    for gname, attrs in containerAttrs.items():
        if not attrs:
            continue
        group = f.get(gname)
        if not isinstance(group, h5py.Group):
            raise SerializationError("%s: attribute group %r is missing" % (what, gname))
        for aname, attr in attrs.items():
            updates.append(_readInto(group, aname, attr, what, "attribute %r of %r" % (aname, gname)))
    return updates
