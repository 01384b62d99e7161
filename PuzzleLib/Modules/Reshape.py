"""Reshape: give the data a new shape (same number of values)."""
from PuzzleLib import Config
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import intTuple, requireSingle
from PuzzleLib.Modules._validate import ownerName


class Reshape(Module):
    """Reshapes the whole array, batch axis included.

    Parameters
    ----------
    shape : sequence of int
        The new shape. One entry may be -1 (inferred from the size); an entry 0 copies the input's
        size on that axis (so ``(0, -1)`` flattens and ``(0, 1, 28, 28)`` keeps the batch size).
    showWarnings : bool
        Log a warning (logger "PuzzleLib") when the reshape changes the batch size.

    Shape
    -----
    (d0, d1, ...) -> ``shape`` with -1 and 0 resolved. The output is a view when possible.

    Example::

        >>> Reshape((0, 1, 2, 3))(to_gpu(np.zeros((4, 6), np.float32))).shape
        (4, 1, 2, 3)
    """

    def __init__(self, shape, showWarnings=True, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        shape = intTuple(owner, "shape", shape, minimum=-1)
        if sum(1 for d in shape if d == -1) > 1:
            raise ModuleError("%s: shape may have at most one -1 entry, got %r" % (owner, shape))
        self.shape = shape
        self.showWarnings = bool(showWarnings)
        self._warned = False

    def _resolve(self, inshape):
        inshape = tuple(inshape)
        out = []
        for i, d in enumerate(self.shape):
            if d == 0:
                if i >= len(inshape):
                    raise self._error("shape entry 0 at axis %d copies the input's size, but the input %s has "
                                      "only %d axes" % (i, inshape, len(inshape)))
                d = inshape[i]
            out.append(d)
        size = 1
        for d in inshape:
            size *= d
        known = 1
        for d in out:
            if d != -1:
                known *= d
        if -1 in out:
            if known == 0 or size % known != 0:
                raise self._error("cannot reshape data of shape %s (%d values) to %s" % (inshape, size, self.shape))
            out[out.index(-1)] = size // known
        elif known != size:
            raise self._error("cannot reshape data of shape %s (%d values) to %s (%d values)" % (
                inshape, size, self.shape, known))
        return tuple(out)

    def updateData(self, data):
        self.data = data.reshape(self._resolve(data.shape))

    def updateGrad(self, grad):
        self.grad = grad.reshape(self.inData.shape)

    def checkDataShape(self, shape):
        requireSingle(self, shape)
        out = self._resolve(shape)
        if self.showWarnings and Config.showWarnings and not self._warned and shape and out[0] != shape[0]:
            Config.getLogger().warning("%s: the reshape from %s to %s changes the batch size", self._label(),
                                       tuple(shape), out)
            self._warned = True

    def dataShapeFrom(self, shape):
        return self._resolve(shape)

    def gradShapeFrom(self, shape):
        if self.inData is not None:
            return tuple(self.inData.shape)
        raise self._error("gradShapeFrom needs the input shape; run a forward pass first")

    def _extraRepr(self):
        return "shape=%s" % (self.shape,)
