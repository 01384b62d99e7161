"""Rebuild a net from a model file alone: its JSON blueprint names classes and constructor arguments.

Only classes that PuzzleLib itself exports from ``PuzzleLib.Modules`` and ``PuzzleLib.Containers``
can be built, with arguments that are plain JSON values, so a file can never make the loader run
code of its choosing.

Example::

    >>> net.save("model.h5", withBlueprint=True)
    >>> same = Blueprint.load("model.h5")
"""
import inspect
import json

from PuzzleLib.Errors import BlueprintError
from PuzzleLib.Serialization import openForReading


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
    """The module a blueprint dict describes (parameters allocated, not initialised)."""
    classes = _registry() if classes is None else classes
    if not isinstance(blueprint, dict) or "classname" not in blueprint:
        raise BlueprintError("blueprint entry must be an object with a 'classname', got %r" % (blueprint,))
    cname = blueprint["classname"]
    cls = classes.get(cname)
    if cls is None:
        raise BlueprintError("blueprint names an unknown class %r" % (cname,))
    scheme = dict(blueprint.get("scheme") or {})
    if hasattr(cls, "_fromBlueprint"):
        return cls._fromBlueprint(blueprint, classes, build)

    params = inspect.signature(cls.__init__).parameters
    kwargs = {}
    for key, value in scheme.items():
        if key not in params:
            raise BlueprintError("blueprint of %s has an argument %r the class does not take" % (cname, key))
        kwargs[key] = _fromSlice(value)
    if "empty" in params:
        kwargs["empty"] = True
    try:
        mod = cls(**kwargs)
    except Exception as e:
        raise BlueprintError("blueprint of %s could not be built: %s" % (cname, e)) from e

    if "modules" in blueprint:
        graph = blueprint.get("graph") or list(blueprint["modules"])
        for name in graph:
            child = build(blueprint["modules"][name], classes)
            child.name = name
            mod.append(child)
    return mod


def load(path_or_bytes):
    """Build the net a model file describes and load its parameters into it."""
    f, close = openForReading(path_or_bytes)
    try:
        if "blueprint" not in f:
            raise BlueprintError("model file has no blueprint; save it with withBlueprint=True")
        raw = f["blueprint"][()]
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        try:
            blueprint = json.loads(raw)
        except (TypeError, ValueError) as e:
            raise BlueprintError("the model file's blueprint is not valid JSON: %s" % e) from None
        net = build(blueprint)
        net.load(f)
    finally:
        if close:
            f.close()
    return net
