"""Argument checks shared by module constructors."""
import numbers

from PuzzleLib.Errors import ModuleError


def positiveInt(owner, argname, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ModuleError("%s: %s must be a positive integer, got %r" % (owner, argname, value))
    return int(value)


def nonNegativeInt(owner, argname, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ModuleError("%s: %s must be a non-negative integer, got %r" % (owner, argname, value))
    return int(value)


def realNumber(owner, argname, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ModuleError("%s: %s must be a number, got %r" % (owner, argname, value))
    return float(value)


def ownerName(cls, name):
    return cls.__name__ if name is None else "%s '%s'" % (cls.__name__, name)


def typeName(value):
    """The name error messages give a value's type: ``GPUArray`` for any device array of the backend
    (the API's name for it; CuPy's own class is called ``ndarray``), else the class name."""
    from PuzzleLib.Backend import gpuarray
    if isinstance(value, gpuarray.GPUArray):
        return "GPUArray"
    return type(value).__name__


def choiceArg(owner, argname, value, choices):
    """``value`` if it is one of the strings ``choices`` (an enum member counts by its ``value``)."""
    value = getattr(value, "value", value)
    if value not in choices:
        raise ModuleError("%s: unknown %s %r; expected one of %s" % (owner, argname, value, ", ".join(choices)))
    return value
