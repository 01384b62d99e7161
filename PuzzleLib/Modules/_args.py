"""Argument and shape helpers for the shape-changing and multi-input modules."""
import numbers

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError

xp = gpuarray.xp


def isInt(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def intArg(owner, argname, value):
    """Any integer (axes may be negative)."""
    if not isInt(value):
        raise ModuleError("%s: %s must be an integer, got %r" % (owner, argname, value))
    return int(value)


def intTuple(owner, argname, value, length=None, minimum=None):
    """An int or a sequence of ints -> a tuple (an int is repeated `length` times)."""
    if isInt(value):
        values = (int(value),) * (length or 1)
    elif isinstance(value, (list, tuple)) and all(isInt(v) for v in value):
        values = tuple(int(v) for v in value)
    else:
        raise ModuleError("%s: %s must be an integer or a sequence of integers, got %r" % (owner, argname, value))
    if length is not None and len(values) != length:
        raise ModuleError("%s: %s must have %d entries, got %r" % (owner, argname, length, value))
    if minimum is not None and any(v < minimum for v in values):
        raise ModuleError("%s: %s entries must be >= %d, got %r" % (owner, argname, minimum, value))
    return values


def dtypeArg(owner, argname, value):
    """A dtype given as a numpy/cupy type, a dtype or its name -> the scalar type (e.g. np.float32)."""
    try:
        return xp.dtype(value).type
    except TypeError:
        raise ModuleError("%s: %s must be a dtype (e.g. 'float32'), got %r" % (owner, argname, value)) from None


def dtypeName(dtype):
    return xp.dtype(dtype).name


def normAxis(mod, axis, ndim, argname="axis"):
    """`axis` as a non-negative index into `ndim` axes, or a ModuleError naming the module."""
    if not -ndim <= axis < ndim:
        raise mod._error("%s=%d is out of range for %d-d data" % (argname, axis, ndim))
    return axis % ndim


def requireList(mod, shapes, minimum=1):
    """Refuse a single array where a list of arrays is expected (shapes: list of shape tuples)."""
    if not isinstance(shapes, list):
        raise mod._error("expected a list of arrays, got a single array of shape %s" % (tuple(shapes),))
    if len(shapes) < minimum:
        raise mod._error("expected at least %d arrays, got %d" % (minimum, len(shapes)))


def requireSingle(mod, shape):
    """Refuse a list of arrays where one array is expected."""
    if isinstance(shape, list):
        raise mod._error("expected one array, got a list of %d arrays with shapes %s" % (len(shape), shape))


def requireNdim(mod, shape, ndim, layout):
    requireSingle(mod, shape)
    if len(shape) != ndim:
        raise mod._error("expected %d-d data %s, got %d-d data of shape %s" % (ndim, layout, len(shape), tuple(shape)))


def concatShape(shapes, axis):
    """The shape of arrays of ``shapes`` joined along ``axis`` (non-negative)."""
    shape = list(shapes[0])
    shape[axis] = sum(s[axis] for s in shapes)
    return tuple(shape)


def cutAlong(mod, key, x, axis, sizes):
    """Copy consecutive pieces of ``x`` along ``axis`` (non-negative), of the given sizes, into the
    module's buffers "<key>0", "<key>1", ...; returns them as a list."""
    pieces, start = [], 0
    for i, size in enumerate(sizes):
        piece = x[(slice(None),) * axis + (slice(start, start + size),)]
        out = mod._buffer("%s%d" % (key, i), piece.shape, x.dtype)
        out[...] = piece
        pieces.append(out)
        start += size
    return pieces


def blueprintWithoutRng(mod):
    """``mod``'s blueprint with its ``rng`` argument described as None: a generator object is not
    part of the architecture (a rebuilt net draws from the backend's global generator)."""
    from PuzzleLib.Modules.Module import Module
    scheme = mod._scheme
    mod._scheme = dict(scheme or {}, rng=None)
    try:
        return Module.getBlueprint(mod)
    finally:
        mod._scheme = scheme
