"""Slice: take a rectangular part of the data."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle
from PuzzleLib.Modules._validate import ownerName

xp = gpuarray.xp


class Slice(Module):
    """``data = x[slc]`` (a contiguous copy); the gradient is scattered back into zeros.

    Parameters
    ----------
    slc : slice or tuple of slices, optional
        Applied to the whole array, batch axis first: ``(slice(None), slice(2, 5))`` keeps
        columns 2..4 of every sample. None keeps everything. Subscript syntax sets it too:
        ``Slice()[:, 2:5]`` is the same module.

    Shape
    -----
    (N, C), slc=(slice(None), slice(a, b)) -> (N, b - a).

    Example::

        >>> Slice((slice(None), slice(1, 3)))(to_gpu(np.zeros((4, 5), np.float32))).shape
        (4, 2)
        >>> Slice()[:, :, 1:-1](to_gpu(np.zeros((4, 5, 6), np.float32))).shape
        (4, 5, 4)
    """

    def __init__(self, slc=None, name=None):
        super().__init__(name)
        self.slc = self._parseSlc(slc)

    def __getitem__(self, slc):
        """``Slice()[:, 1:3]`` sets ``slc`` from subscript syntax and returns the module itself."""
        self.slc = self._parseSlc(slc)
        return self

    def _parseSlc(self, slc):
        owner = ownerName(type(self), self.name)
        if isinstance(slc, list):
            slc = tuple(slc)
        if slc is None:
            slc = (slice(None),)
        elif isinstance(slc, slice):
            slc = (slc,)
        if not isinstance(slc, tuple) or not all(isinstance(s, slice) for s in slc):
            raise ModuleError("%s: slc must be a slice or a tuple of slices, got %r" % (owner, slc))
        for s in slc:
            if s.step is not None and (not isinstance(s.step, int) or s.step <= 0):
                raise ModuleError("%s: slice steps must be positive integers, got %r" % (owner, s))
        return slc

    def updateData(self, data):
        view = data[self.slc]
        out = self._buffer("data", view.shape, data.dtype)
        out[...] = view
        self.data = out

    def updateGrad(self, grad):
        x = self.inData
        out = self._buffer("grad", x.shape, grad.dtype)
        out.fill(0)
        out[self.slc] = grad
        self.grad = out

    def checkDataShape(self, shape):
        requireSingle(self, shape)
        if len(self.slc) > len(shape):
            raise self._error("slc %s has %d entries, got %d-d data of shape %s" % (
                self.slc, len(self.slc), len(shape), tuple(shape)))

    def dataShapeFrom(self, shape):
        out = list(shape)
        for i, s in enumerate(self.slc):
            out[i] = len(range(*s.indices(shape[i])))
        return tuple(out)

    def gradShapeFrom(self, shape):
        if self.inData is None:
            raise self._error("gradShapeFrom needs the input shape; run a forward pass first")
        return tuple(self.inData.shape)

    def _extraRepr(self):
        return "slc=%s" % (self.slc,)
