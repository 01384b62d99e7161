"""The shared machinery of Pad1D and Pad2D: constant or reflection padding of trailing axes."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._enum import _Choice
from PuzzleLib.Modules._args import intTuple, requireNdim
from PuzzleLib.Modules._validate import choiceArg, ownerName, realNumber

xp = gpuarray.xp



class PadMode(_Choice):
    """How Pad1D and Pad2D fill the border: with a constant or with the data's reflection."""
    constant = "constant"
    reflect = "reflect"


MODES = tuple(member.value for member in PadMode)


def _along(axis, ndim, index):
    return (slice(None),) * (axis % ndim) + (index,)


def foldReflect(grad, axis, before, after):
    """The gradient of reflection padding along `axis`: add the padded border back onto the
    values it mirrors (reflection without repeating the edge, as numpy's 'reflect')."""
    size = grad.shape[axis] - before - after
    out = grad[_along(axis, grad.ndim, slice(before, before + size))].copy()
    if before > 0:
        out[_along(axis, grad.ndim, slice(1, before + 1))] += xp.flip(grad[_along(axis, grad.ndim, slice(0, before))], axis)
    if after > 0:
        tail = grad[_along(axis, grad.ndim, slice(before + size, None))]
        out[_along(axis, grad.ndim, slice(size - 1 - after, size - 1))] += xp.flip(tail, axis)
    return out


class _Pad(Module):
    spatial = 1
    layout = "(N, C, L)"

    def __init__(self, pad, mode="constant", fillValue=None, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        mode = choiceArg(owner, "mode", mode, MODES)
        self.mode = mode
        self.pad = self._parsePad(owner, pad)
        if fillValue is not None:
            if mode != "constant":
                raise ModuleError("%s: fillValue applies only to mode 'constant', got mode %r" % (owner, mode))
            fillValue = realNumber(owner, "fillValue", fillValue)
        self.fillValue = fillValue

    def _parsePad(self, owner, pad):
        """-> ((before, after) per spatial axis)."""
        raise NotImplementedError

    def _center(self, ndim):
        index = [slice(None)] * (ndim - self.spatial)
        for before, after in self.pad:
            index.append(slice(before, -after if after else None))
        return tuple(index)

    def updateData(self, data):
        shape = self.dataShapeFrom(data.shape)
        out = self._buffer("data", shape, data.dtype)
        if self.mode == "constant":
            out.fill(0 if self.fillValue is None else self.fillValue)
            out[self._center(data.ndim)] = data
        else:
            widths = ((0, 0),) * (data.ndim - self.spatial) + self.pad
            out[...] = xp.pad(data, widths, mode="reflect")
        self.data = out

    def updateGrad(self, grad):
        x = self.inData
        out = self._buffer("grad", x.shape, grad.dtype)
        if self.mode == "constant":
            out[...] = grad[self._center(grad.ndim)]
        else:
            g = grad
            for i, (before, after) in enumerate(self.pad):
                g = foldReflect(g, grad.ndim - self.spatial + i, before, after)
            out[...] = g
        self.grad = out

    def checkDataShape(self, shape):
        requireNdim(self, shape, self.spatial + 2, self.layout)
        if self.mode == "reflect":
            for size, (before, after) in zip(shape[2:], self.pad):
                if before >= size or after >= size:
                    raise self._error("reflect padding %s needs every padded axis longer than its pad, got data of "
                                      "shape %s" % (self.pad, tuple(shape)))

    def dataShapeFrom(self, shape):
        lead = tuple(shape[:len(shape) - self.spatial])
        return lead + tuple(d + b + a for d, (b, a) in zip(shape[len(shape) - self.spatial:], self.pad))

    def gradShapeFrom(self, shape):
        lead = tuple(shape[:len(shape) - self.spatial])
        return lead + tuple(d - b - a for d, (b, a) in zip(shape[len(shape) - self.spatial:], self.pad))

    def _extraRepr(self):
        extra = "pad=%s, mode=%s" % (self.pad, self.mode)
        if self.fillValue is not None:
            extra += ", fillValue=%g" % self.fillValue
        return extra


def parsePairs(owner, pad, spatial):
    """An int (every side), one int per axis (both sides), or (before, after) per axis."""
    values = intTuple(owner, "pad", pad, minimum=0)
    if len(values) == 1:
        values = values * (2 * spatial)
    elif len(values) == spatial and spatial > 1:
        values = tuple(v for v in values for _ in range(2))
    if len(values) != 2 * spatial:
        raise ModuleError("%s: pad must be an int or %d non-negative ints, got %r" % (owner, 2 * spatial, pad))
    return tuple((values[2 * i], values[2 * i + 1]) for i in range(spatial))
