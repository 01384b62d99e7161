"""PRelu: a leaky ReLU whose negative slope is learnt, one per map (or one shared)."""
from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle
from PuzzleLib.Modules._inplace import gradTarget, keepInput
from PuzzleLib.Modules._validate import ownerName, positiveInt
from PuzzleLib.Variable import Variable

xp = gpuarray.xp


class PRelu(Module):
    """``data = x`` where ``x > 0``, else ``slope[c] * x`` for map (channel) c on axis 1.

    Parameters
    ----------
    maps : int
        Number of maps (the size of axis 1).
    inplace : bool
        Write the output over the input (the input is first saved for the backward pass).
    sharedMaps : bool
        Learn one slope shared by every map instead of one per map.

    Notes
    -----
    Trained variable ``slopes``: shape (maps,), or (1,) when shared; starts at 0.25.

    Shape
    -----
    (N, maps[, ...]) -> the same.

    Example::

        >>> PRelu(2)(to_gpu(np.array([[-4.0, 4.0]], np.float32))).get()
        array([[-1.,  4.]], dtype=float32)

    He et al., 2015, https://arxiv.org/abs/1502.01852
    """

    def __init__(self, maps, inplace=False, sharedMaps=False, name=None):
        super().__init__(name)
        self.maps = positiveInt(ownerName(type(self), name), "maps", maps)
        self.inplace = bool(inplace)
        self.sharedMaps = bool(sharedMaps)
        slopes = gpuarray.empty((1 if self.sharedMaps else self.maps,), self.calctype)
        slopes.fill(0.25)
        self.setVar("slopes", Variable(slopes))
        self._x = None

    def _slopes(self, ndim):
        a = self.vars["slopes"].data
        if self.sharedMaps:
            return a.reshape((1,) * ndim)
        return a.reshape((1, self.maps) + (1,) * (ndim - 2))

    def updateData(self, data):
        x, out = keepInput(self, data)
        self._x = x
        xp.multiply(x, xp.where(x > 0, 1.0, self._slopes(x.ndim)).astype(x.dtype, copy=False), out=out)
        self.data = out

    def updateGrad(self, grad):
        x = self._x
        out = gradTarget(self, grad)
        xp.multiply(grad, xp.where(x > 0, 1.0, self._slopes(x.ndim)).astype(grad.dtype, copy=False), out=out)
        self.grad = out

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        x = self._x
        var = self.vars["slopes"]
        if var.grad is None:
            return
        contrib = grad * xp.minimum(x, 0)
        axes = tuple(i for i in range(x.ndim) if self.sharedMaps or i != 1)
        new = contrib.sum(axis=axes).reshape(var.grad.shape).astype(var.grad.dtype, copy=False)
        self._accumulateParamGrad(var, new, scale, momentum)

    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=0.0):
        # parameter gradients need the incoming gradient, which an in-place updateGrad overwrites
        if self.inplace and updGrad and updParamGrads and self.train:
            if not Config.disableDtypeShapeChecks:
                self._checkGradInput(grad)
            self.accGradParams(grad, scale, momentum)
            self.updateGrad(grad)
            return self.grad
        return super().backward(grad, updParamGrads, updGrad, scale, momentum)

    def checkDataShape(self, shape):
        requireSingle(self, shape)
        if len(shape) < 2 or shape[1] != self.maps:
            raise self._error("expected data of shape (N, %d[, ...]), got %s" % (self.maps, tuple(shape)))

    # what reset clears, the next forward pass sets again (see Handler: no reset between batches)
    _resetClearsOnlyCaches = True

    def reset(self):
        super().reset()
        self._x = None

    def _extraRepr(self):
        return "maps=%d%s%s" % (self.maps, ", shared" if self.sharedMaps else "", ", inplace" if self.inplace else "")
