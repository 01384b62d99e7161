"""A base for modules that combine a list of same-shaped arrays elementwise (Add, Mul)."""
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireList


class _Elementwise(Module):
    """Takes a list of arrays of one shape, gives one array of that shape, and hands back one
    gradient per input (a subclass implements ``updateData`` and ``updateGrad``)."""

    def checkDataShape(self, shapes):
        requireList(self, shapes)
        if any(s != shapes[0] for s in shapes):
            raise self._error("expected arrays of one shape, got shapes %s" % (shapes,))

    def dataShapeFrom(self, shapes):
        return tuple(shapes[0])

    def gradShapeFrom(self, shape):
        n = len(self.inData) if self.inData is not None else 2
        return [tuple(shape)] * n
