"""Rebuild a net from a model file alone: its JSON blueprint names classes and constructor arguments.

Only classes that PuzzleLib itself exports from ``PuzzleLib.Modules`` and ``PuzzleLib.Containers``
can be built, with arguments that are plain JSON values, so a file can never make the loader run
code of its choosing.

Example::

    >>> from PuzzleLib import Blueprint
    >>> from PuzzleLib.Containers import Sequential
    >>> from PuzzleLib.Modules import Linear, Activation
    >>> net = Sequential().append(Linear(2, 3)).append(Activation("relu"))
    >>> net.save("model.h5", withBlueprint=True)
    >>> same = Blueprint.load("model.h5")   # no code of the net needed
    >>> same
    Sequential() [
      0: Linear(name='0', 2 -> 3)
      1: Activation(name='1', relu)
    ]
    >>> np.array_equal(same[0].W.get(), net[0].W.get())
    True
"""
import inspect
import json

import h5py

from PuzzleLib import Serialization
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import BlueprintError, SerializationError


def _registry():
    import PuzzleLib.Containers as Containers
    import PuzzleLib.Modules as Modules
    from PuzzleLib.Modules.Module import Module

    classes = {}
    for package in (Modules, Containers):
        for cname, obj in vars(package).items():
            if isinstance(obj, type) and issubclass(obj, Module) and not cname.startswith("_"):
                classes[cname] = obj
    return classes


def _fromSlice(value):
    if isinstance(value, dict) and set(value) == {"slice"}:
        return slice(*value["slice"])
    if isinstance(value, list) and value and all(isinstance(v, dict) and set(v) == {"slice"} for v in value):
        return tuple(slice(*v["slice"]) for v in value)
    return value


def build(blueprint, classes=None):
    """The module a blueprint dict describes (parameters allocated, not initialised).

    Only classes in ``classes`` (by default the library's own modules and containers) are built;
    anything else in the blueprint is refused with a :class:`BlueprintError`.
    """
    classes = _registry() if classes is None else classes
    if not isinstance(blueprint, dict) or "classname" not in blueprint:
        raise BlueprintError("blueprint entry must be an object with a 'classname', got %.200r" % (blueprint,))
    cname = blueprint["classname"]
    if not isinstance(cname, str) or cname not in classes:
        raise BlueprintError("blueprint names an unknown class %.200r (only PuzzleLib's modules and containers "
                             "can be built)" % (cname,))
    cls = classes[cname]
    scheme = blueprint.get("scheme")
    if scheme is None:
        scheme = {}
    if not isinstance(scheme, dict):
        raise BlueprintError("blueprint of %s: 'scheme' must be an object, got %.200r" % (cname, scheme))
    if hasattr(cls, "_fromBlueprint"):
        return cls._fromBlueprint(blueprint, classes, build)

    params = inspect.signature(cls.__init__).parameters
    kwargs = {}
    for key, value in scheme.items():
        if key not in params or key == "self" or params[key].kind in (inspect.Parameter.VAR_POSITIONAL,
                                                                      inspect.Parameter.VAR_KEYWORD):
            raise BlueprintError("blueprint of %s has an argument %r the class does not take" % (cname, key))
        kwargs[key] = _fromSlice(value)
    if "empty" in params:
        kwargs["empty"] = True
    try:
        mod = cls(**kwargs)
    except Exception as e:
        raise BlueprintError("blueprint of %s could not be built: %s" % (cname, e)) from None

    if "modules" in blueprint:
        modules = blueprint["modules"]
        if not isinstance(modules, dict):
            raise BlueprintError("blueprint of %s: 'modules' must be an object" % cname)
        if not hasattr(mod, "append"):
            raise BlueprintError("blueprint of %s lists modules, but %s cannot hold any" % (cname, cname))
        graph = blueprint.get("graph")
        if graph is None:
            graph = list(modules)
        if not isinstance(graph, list) or not all(isinstance(name, str) and name in modules for name in graph):
            raise BlueprintError("blueprint of %s: 'graph' must list names of its modules, got %.200r" % (cname, graph))
        for name in graph:
            try:
                child = build(modules[name], classes)
            except BlueprintError as e:
                raise BlueprintError("module %r: %s" % (name, e)) from None
            child.name = name
            try:
                mod.append(child)
            except Exception as e:
                raise BlueprintError("blueprint of %s: module %r could not be added: %s" % (cname, name, e)) from None
    return mod


def _adoptStoredDtype(net, f):
    """A net saved after ``calcMode(float64)`` stores its parameters in float64: rebuild it computing
    in that dtype (before loading, so no value is rounded), when all of them share one dtype the
    backend supports."""
    params = f.get("params")
    if not isinstance(params, h5py.Group):
        return  # loadModule names the problem
    dtypes = {ds.dtype for ds in (params.get(k) for k in params)
              if isinstance(ds, h5py.Dataset) and ds.dtype.kind == "f"}
    if len(dtypes) == 1:
        dtype = dtypes.pop()
        if gpuarray.isDtypeSupported(dtype) and gpuarray.xp.dtype(net.calctype) != dtype:
            net.calcMode(dtype)


def load(path_or_bytes):
    """Build the net a model file describes and load its parameters into it.

    ``path_or_bytes``: a path, the bytes ``save()`` returned, an open h5py file, or a checkpoint
    written by ``PuzzleLib.Handlers.saveCheckpoint``. A net saved after ``calcMode(float64)``
    comes back computing in float64. Errors (:class:`BlueprintError`, :class:`SerializationError`)
    name the file.
    """
    what = Serialization.describe(path_or_bytes)
    root, close = Serialization.openForReading(path_or_bytes)
    f = root
    try:
        model = f.get("model")
        if f.get("blueprint") is None and hasattr(model, "keys") and "blueprint" in model:
            f = model  # a checkpoint (PuzzleLib.Handlers.Checkpoint): the net is in its 'model' group
        raw = f.get("blueprint")
        if raw is None:
            raise BlueprintError("model file %s has no blueprint; save it with withBlueprint=True" % what)
        # a string type, checked before reading: a corrupted type read as a string can crash HDF5
        if not isinstance(raw, h5py.Dataset) or raw.shape != () or h5py.check_string_dtype(raw.dtype) is None:
            raise BlueprintError("model file %s: 'blueprint' is not a scalar string" % what)
        try:
            raw = raw[()]
            if isinstance(raw, bytes):
                raw = raw.decode("utf-8")
            if not isinstance(raw, str):
                raise TypeError("got %s" % type(raw).__name__)
            blueprint = json.loads(raw)
        except (TypeError, ValueError, RecursionError, OSError) as e:
            raise BlueprintError("model file %s: the blueprint is not valid JSON: %s" % (what, e)) from None
        try:
            net = build(blueprint)
        except BlueprintError as e:
            raise BlueprintError("model file %s: %s" % (what, e)) from None
        except RecursionError:
            raise BlueprintError("model file %s: the blueprint nests too deeply" % what) from None
        except Exception as e:  # a malformed blueprint must not surface as a raw traceback
            raise BlueprintError("model file %s: the blueprint could not be built: %s: %s" % (
                what, type(e).__name__, e)) from None
        _adoptStoredDtype(net, f)
        Serialization.loadModule(net, f, name=what)
    except (BlueprintError, SerializationError):
        raise
    except Exception as e:
        raise SerializationError("model file %s could not be read (corrupted?): %s: %s" % (
            what, type(e).__name__, e)) from None
    finally:
        if close:
            root.close()
    return net
