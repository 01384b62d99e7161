"""Sum: sum over one axis, optionally weighted by a second input."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import intArg, normAxis, requireList, requireSingle
from PuzzleLib.Modules._validate import ownerName

xp = gpuarray.xp


class Sum(Module):
    """Sums the data over ``axis``; with ``useWeights`` the input is a pair ``[x, w]`` and the
    output is the weighted sum ``sum(x * w, axis)`` (attention-style pooling).

    Parameters
    ----------
    axis : int
        The axis to sum over (the batch axis is 0; negative counts from the end).
    useWeights : bool
        Take ``[x, w]``: ``w`` has the leading axes of ``x`` up to and including ``axis``
        (``x.shape[:axis + 1]``, or more of them) and is broadcast over the remaining axes.
        Gradients flow to both ``x`` and ``w``.

    Shape
    -----
    x (N, T, D), axis=1 -> (N, D); with weights w (N, T).

    Example::

        >>> x = to_gpu(np.ones((2, 3, 4), np.float32)); w = to_gpu(np.full((2, 3), 0.5, np.float32))
        >>> Sum(axis=1)([x, w]).get()[0]
        array([1.5, 1.5, 1.5, 1.5], dtype=float32)
        >>> Sum(axis=1, useWeights=False)(x).shape
        (2, 4)
    """

    def __init__(self, axis, useWeights=True, name=None):
        super().__init__(name)
        self.axis = intArg(ownerName(type(self), name), "axis", axis)
        self.useWeights = bool(useWeights)

    @staticmethod
    def _broadcastWeights(w, ndim):
        return w.reshape(w.shape + (1,) * (ndim - w.ndim))

    def updateData(self, data):
        x = data[0] if self.useWeights else data
        axis = self.axis % x.ndim
        out = self._buffer("data", x.shape[:axis] + x.shape[axis + 1:], x.dtype)
        if self.useWeights:
            weighted = self._scratch("xw", x.shape, x.dtype)
            xp.multiply(x, self._broadcastWeights(data[1], x.ndim), out=weighted)
            x = weighted
        xp.sum(x, axis=axis, out=out)
        self.data = out

    def updateGrad(self, grad):
        x = self.inData[0] if self.useWeights else self.inData
        axis = self.axis % x.ndim
        g = xp.expand_dims(grad, axis)
        gx = self._buffer("grad0", x.shape, x.dtype)
        if not self.useWeights:
            gx[...] = g
            self.grad = gx
            return
        w = self.inData[1]
        xp.multiply(g, self._broadcastWeights(w, x.ndim), out=gx)
        gw = self._buffer("grad1", w.shape, w.dtype)
        if w.ndim < x.ndim:
            xg = self._scratch("xg", x.shape, x.dtype)
            xp.multiply(x, g, out=xg)
            xp.sum(xg, axis=tuple(range(w.ndim, x.ndim)), out=gw)
        else:
            xp.multiply(x, g, out=gw)
        self.grad = [gx, gw]

    def checkDataShape(self, shape):
        if not self.useWeights:
            requireSingle(self, shape)
            normAxis(self, self.axis, len(shape))
            return
        requireList(self, shape)
        if len(shape) != 2:
            raise self._error("with useWeights expected [data, weights], got %d arrays" % len(shape))
        xshape, wshape = shape
        axis = normAxis(self, self.axis, len(xshape))
        if not axis < len(wshape) <= len(xshape) or tuple(xshape[:len(wshape)]) != tuple(wshape):
            raise self._error("expected weights of shape %s (the data's axes up to axis %d) for data of shape %s, "
                              "got %s" % (tuple(xshape[:axis + 1]), axis, tuple(xshape), tuple(wshape)))

    def dataShapeFrom(self, shape):
        xshape = shape[0] if self.useWeights else shape
        axis = self.axis % len(xshape)
        return tuple(xshape[:axis]) + tuple(xshape[axis + 1:])

    def gradShapeFrom(self, shape):
        if self.inData is None:
            raise self._error("gradShapeFrom needs the input shape; run a forward pass first")
        if self.useWeights:
            return [tuple(x.shape) for x in self.inData]
        return tuple(self.inData.shape)

    def _extraRepr(self):
        return "axis=%d%s" % (self.axis, "" if self.useWeights else ", no weights")
