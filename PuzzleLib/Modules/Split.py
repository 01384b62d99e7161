"""Split: cut an array into pieces along one axis (a list of outputs)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import concatShape, cutAlong, intArg, intTuple, isInt, normAxis, requireSingle
from PuzzleLib.Modules._validate import ownerName

xp = gpuarray.xp


class Split(Module):
    """Splits the input along ``axis`` into pieces of the given sizes; the output is a list.

    Parameters
    ----------
    axis : int
        The axis to cut (the batch axis is 0; negative counts from the end).
    sections : sequence of int, or int
        The size of each piece (they must add up to the axis's size); an int n cuts n equal pieces.

    Shape
    -----
    (N, a + b, ...) -> [(N, a, ...), (N, b, ...)] for axis=1, sections=(a, b). ``backward`` takes a
    list with one gradient per piece.

    Example::

        >>> [y.shape for y in Split(axis=1, sections=(2, 3))(to_gpu(np.zeros((4, 5), np.float32)))]
        [(4, 2), (4, 3)]
    """

    def __init__(self, axis, sections, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.axis = intArg(owner, "axis", axis)
        if isInt(sections):
            if sections <= 0:
                raise ModuleError("%s: sections must be a positive count or a list of sizes, got %r" % (owner, sections))
            self.sections = int(sections)
        else:
            self.sections = intTuple(owner, "sections", sections, minimum=1)
            if not self.sections:
                raise ModuleError("%s: sections must not be empty" % owner)

    def _sizes(self, size):
        if isinstance(self.sections, int):
            if size % self.sections != 0:
                raise self._error("cannot cut an axis of size %d into %d equal sections" % (size, self.sections))
            return (size // self.sections,) * self.sections
        return self.sections

    def updateData(self, data):
        axis = self.axis % data.ndim
        self.data = cutAlong(self, "data", data, axis, self._sizes(data.shape[axis]))

    def updateGrad(self, grad):
        x = self.inData
        out = self._buffer("grad", x.shape, x.dtype)
        xp.concatenate(grad, axis=self.axis % x.ndim, out=out)
        self.grad = out

    def checkDataShape(self, shape):
        requireSingle(self, shape)
        axis = normAxis(self, self.axis, len(shape))
        sizes = self._sizes(shape[axis])
        if sum(sizes) != shape[axis]:
            raise self._error("sections %s add up to %d, but axis %d of data of shape %s has size %d" % (
                self.sections, sum(sizes), axis, tuple(shape), shape[axis]))

    def dataShapeFrom(self, shape):
        axis = self.axis % len(shape)
        return [tuple(shape[:axis]) + (size,) + tuple(shape[axis + 1:]) for size in self._sizes(shape[axis])]

    def gradShapeFrom(self, shapes):
        return concatShape(shapes, self.axis % len(shapes[0]))

    def _extraRepr(self):
        return "axis=%d, sections=%s" % (self.axis, self.sections)
