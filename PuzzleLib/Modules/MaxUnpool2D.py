"""MaxUnpool2D: put each value back where a MaxPool2D took its maximum from."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import BlueprintError, ModuleError
from PuzzleLib.Modules.MaxPool2D import MaxPool2D
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireNdim
from PuzzleLib.Modules._validate import ownerName

xp = gpuarray.xp
kernels = gpuarray.kernels
_plain = kernels.plain


class MaxUnpool2D(Module):
    """The partial inverse of a max pooling: an array of zeros of the pool's input shape, with
    each input value placed where the pool took the corresponding maximum (read from the pool's
    ``mask``, so the pool must run forward first, on the batch being unpooled). Where windows
    overlap and two maxima come from one element, their values add up. The gradient reads the
    output gradient back at those places.

    Parameters
    ----------
    maxpool2d : MaxPool2D
        The pool to invert. One built without ``useMask`` is switched to keep its mask from its
        next forward pass on (``maxpool2d.useMask`` becomes True), as PuzzleLib 1.0 does.

    Shape
    -----
    (N, C, Ho, Wo) (the pool's output shape) -> the pool's last input shape (N, C, H, W).

    .. note:: A blueprint cannot describe this module (its argument is another module, not a
       JSON value): ``getBlueprint`` raises :class:`BlueprintError`. Rebuild such a net in code;
       ``Module.load`` still reads its parameters from a file saved without a blueprint.

    Example::

        >>> from PuzzleLib.Modules import MaxPool2D
        >>> pool = MaxPool2D()
        >>> unpool = MaxUnpool2D(pool)
        >>> x = to_gpu(np.array([[[[1, 2], [4, 3]]]], np.float32))
        >>> unpool(pool(x)).get()
        array([[[[0., 0.],
                 [4., 0.]]]], dtype=float32)
    """

    def __init__(self, maxpool2d, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        if not isinstance(maxpool2d, MaxPool2D):
            raise ModuleError("%s: maxpool2d must be a MaxPool2D module, got %s" % (owner, type(maxpool2d).__name__))
        maxpool2d.useMask = True  # the unpooling reads the pool's mask
        self.maxpool2d = maxpool2d
        self._index = None

    def _poolState(self, shape):
        """(mask, the pool's input shape) for data of ``shape``, or an error naming both modules."""
        pool = self.maxpool2d
        mask, inData = pool.mask, pool.inData
        if inData is None:
            raise self._error("its %s has not run forward yet (it has no mask to unpool with)" % pool._label())
        if mask is None:
            raise self._error("its %s last ran forward without keeping a mask (before it was handed to %s); "
                              "run it forward again" % (pool._label(), self._label()))
        if tuple(mask.shape) != tuple(shape):
            raise self._error("expected data of the shape of %s's last output %s, got %s"
                              % (pool._label(), tuple(mask.shape), tuple(shape)))
        return mask, tuple(inData.shape)

    def _overlaps(self):
        pool = self.maxpool2d
        return any(s < k for s, k in zip(pool.stride, pool.size))

    def updateData(self, data):
        mask, inShape = self._poolState(data.shape)
        n, c = inShape[:2]
        plane = inShape[2] * inShape[3]
        rows = xp.arange(n * c, dtype=xp.int64).reshape(-1, 1) * plane
        index = (mask.reshape(n * c, -1) + rows).reshape(-1)   # flat positions in the output
        out, o = self._bufferPair("data", inShape, data.dtype)
        o.fill(0)
        values = _plain(data).reshape(-1)
        if self._overlaps():
            kernels.scatterAdd(o.reshape(-1), index, values)   # one element may be two windows' maximum
        else:
            o.reshape(-1)[index] = values
        self._index = index
        self.data = out

    def updateGrad(self, grad):
        out, o = self._bufferPair("grad", tuple(self.inData.shape), grad.dtype)
        xp.take(_plain(grad).reshape(-1), self._index, out=o.reshape(-1))
        self.grad = out

    def checkDataShape(self, shape):
        requireNdim(self, shape, 4, "(N, C, H, W)")

    def dataShapeFrom(self, shape):
        pool = self.maxpool2d
        if pool.inData is not None and pool.data is not None and tuple(pool.data.shape) == tuple(shape):
            return tuple(pool.inData.shape)
        return pool.gradShapeFrom(shape)

    def gradShapeFrom(self, shape):
        return self.maxpool2d.dataShapeFrom(shape)

    def getBlueprint(self):
        raise BlueprintError("%s takes a module (maxpool2d=%s), which a blueprint cannot describe; rebuild the net "
                             "in code and load its parameters with Module.load" % (self._label(), self.maxpool2d))

    def _extraRepr(self):
        return "maxpool2d=%s" % self.maxpool2d
