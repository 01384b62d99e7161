"""Model files: HDF5 with groups ``params`` / ``links`` / ``attrs.*`` and an optional JSON blueprint.

Layout (what ``Module.save`` writes and ``Module.load`` reads):

- ``params/<i>``: one dataset per distinct Variable, ``i = 0, 1, ...`` (a shared Variable once);
- ``links/<module path>.<param>``: scalar index into ``params``. The module path joins names with
  dots from the root down, the root's own name first, empty when it has none (".0.W" for the
  first Linear of an unnamed Sequential, "fc.W" for a lone Linear named "fc");
- ``attrs.<module path>``: a group per module with non-trained state (one dataset per attribute);
  every container writes its group, empty when it has no attributes;
- ``blueprint``: optional scalar string, JSON enough to rebuild the net (``PuzzleLib.Blueprint``).

No pickle: only numeric datasets and one JSON string are ever read, so loading runs no code.
"""
import enum
import io
import json
import numbers
import os
import tempfile

import h5py
import numpy as np

from PuzzleLib.Errors import BlueprintError, SerializationError


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


def _collect(mod):
    """(links, attrGroups): links maps '<path>.<param>' to its Variable; attrGroups maps group name
    to (module, {attr name: array}, isContainer)."""
    links = {}
    attrGroups = {}
    root = mod.name or ""
    for path, m, isContainer in mod._walk(root):
        for pname, var in m.vars.items():
            links["%s.%s" % (path, pname)] = var
        if isContainer or m.attrs:
            attrGroups["attrs.%s" % path] = (m, m.attrs)
    return links, attrGroups


def _describe(hdf):
    if isinstance(hdf, (str, os.PathLike)):
        return "'%s'" % os.fspath(hdf)
    if isinstance(hdf, (bytes, bytearray, memoryview)):
        return "<%d bytes>" % len(hdf)
    return "<%s>" % type(hdf).__name__


def _host(ary):
    return ary.get() if hasattr(ary, "get") else np.asarray(ary)


def _writeInto(f, mod, compress, withBlueprint):
    links, attrGroups = _collect(mod)
    params = f.require_group("params")
    linkGroup = f.require_group("links")
    index = {}
    for linkname, var in links.items():
        i = index.get(id(var))
        if i is None:
            i = len(index)
            index[id(var)] = i
            data = _host(var.data)
            params.create_dataset(str(i), data=data, compression=compress if data.size > 16 else None)
        linkGroup.create_dataset(linkname, data=i)
    for gname, (m, attrs) in attrGroups.items():
        group = f.require_group(gname)
        for aname, attr in attrs.items():
            group.create_dataset(aname, data=_host(attr))
    if withBlueprint:
        blueprint = json.dumps(mod.getBlueprint())
        f.create_dataset("blueprint", data=blueprint, dtype=h5py.string_dtype())


def saveModule(mod, hdf=None, compress="gzip", withBlueprint=False):
    """Write ``mod`` to ``hdf`` (path, open h5py file/group, or None for bytes)."""
    if hdf is None:
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            _writeInto(f, mod, compress, withBlueprint)
        return buffer.getvalue()

    if isinstance(hdf, (h5py.File, h5py.Group)):
        _writeInto(hdf, mod, compress, withBlueprint)
        return None

    if not isinstance(hdf, (str, os.PathLike)):
        raise SerializationError("save: expected a path, an h5py file or None, got %s" % type(hdf).__name__)
    path = os.path.abspath(os.fspath(hdf))
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            _writeInto(f, mod, compress, withBlueprint)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return None


def openForReading(hdf):
    """An open h5py.File (caller closes it) for a path, bytes, or an already open file."""
    if isinstance(hdf, (h5py.File, h5py.Group)):
        return hdf, False
    what = _describe(hdf)
    try:
        if isinstance(hdf, (bytes, bytearray, memoryview)):
            return h5py.File(io.BytesIO(bytes(hdf)), "r"), True
        if isinstance(hdf, (str, os.PathLike)):
            if not os.path.exists(hdf):
                raise SerializationError("model file %s does not exist" % what)
            return h5py.File(hdf, "r"), True
    except SerializationError:
        raise
    except Exception as e:
        raise SerializationError("model file %s is not a readable HDF5 file (truncated or corrupted?): %s" % (what, e)) from None
    raise SerializationError("load: expected a path, bytes or an h5py file, got %s" % type(hdf).__name__)


def loadModule(mod, hdf):
    """Load parameters and attributes into ``mod``; checks everything before changing anything."""
    f, close = openForReading(hdf)
    what = _describe(hdf)
    try:
        try:
            updates = _readChecked(f, mod, what)
        except SerializationError:
            raise
        except Exception as e:
            raise SerializationError("model file %s could not be read (corrupted?): %s: %s" % (what, type(e).__name__, e)) from None
    finally:
        if close:
            f.close()
    for target, values in updates:
        target.set(values)


def _readChecked(f, mod, what):
    if "params" not in f or "links" not in f:
        raise SerializationError("model file %s has no 'params'/'links' groups: not a PuzzleLib model file" % what)
    links, attrGroups = _collect(mod)
    fileLinks = f["links"]
    params = f["params"]

    missing = [name for name in links if name not in fileLinks]
    if missing:
        raise SerializationError("model file %s: parameter %r is missing (the file holds %s)" % (
            what, missing[0], ", ".join(sorted(fileLinks.keys())[:8]) or "nothing"))
    extra = [name for name in fileLinks.keys() if name not in links]
    if extra:
        raise SerializationError("model file %s holds parameter %r that the net does not have (a different net?)" % (what, extra[0]))

    updates = []
    for linkname, var in links.items():
        idx = str(int(fileLinks[linkname][()]))
        if idx not in params:
            raise SerializationError("model file %s: parameter %r links to params/%s, which is missing" % (what, linkname, idx))
        values = params[idx][()]
        if tuple(values.shape) != tuple(var.data.shape):
            raise SerializationError("model file %s: parameter %r has shape %s, the net expects %s" % (
                what, linkname, tuple(values.shape), tuple(var.data.shape)))
        if values.dtype.kind not in "fiu":
            raise SerializationError("model file %s: parameter %r has non-numeric dtype %s" % (what, linkname, values.dtype))
        if not np.all(np.isfinite(values)) and values.dtype.kind == "f":
            pass  # non-finite values are legal data; the net simply holds them
        updates.append((var.data, values.astype(var.data.dtype, copy=False)))

    for gname, (m, attrs) in attrGroups.items():
        if not attrs:
            continue
        if gname not in f:
            raise SerializationError("model file %s: attribute group %r is missing" % (what, gname))
        group = f[gname]
        for aname, attr in attrs.items():
            if aname not in group:
                raise SerializationError("model file %s: attribute %r of %r is missing" % (what, aname, gname))
            values = group[aname][()]
            if tuple(np.shape(values)) != tuple(attr.shape):
                raise SerializationError("model file %s: attribute %s.%s has shape %s, the net expects %s" % (
                    what, gname, aname, tuple(np.shape(values)), tuple(attr.shape)))
            updates.append((attr, np.asarray(values).astype(attr.dtype, copy=False)))
    return updates
