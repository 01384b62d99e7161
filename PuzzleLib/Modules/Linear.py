"""Linear: a fully connected layer, ``data = x @ W + b``."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._initscheme import createTensorWithScheme, parseInitScheme
from PuzzleLib.Modules._validate import ownerName, positiveInt, realNumber
from PuzzleLib.Variable import Variable

xp = gpuarray.xp
kernels = gpuarray.kernels
_plain = kernels.plain
bound = kernels.bound


class Linear(Module):
    """A fully connected layer: ``data = x @ W + b``.

    Parameters
    ----------
    insize, outsize : int
        Input and output widths.
    wscale : float
        Scale for the "gaussian" and "uniform" schemes (and a multiplier for the others).
    useBias : bool
        Add the bias ``b`` (zeros at start).
    initscheme : None, str or (str, fan)
        How W is drawn: None / "xavier_uniform", "xavier" / "xavier_normal", "he", "gaussian",
        "uniform", "none"; fan is "in" (default), "out" or "avg".
    empty : bool
        Allocate W without initialising it (to be loaded from a file).
    transpose : bool
        Store W as (outsize, insize) and compute ``x @ W.T``.

    Shape
    -----
    data: (N, insize) -> (N, outsize). W: (insize, outsize); b: (outsize,).

    Example::

        >>> lin = Linear(1, 100, initscheme="gaussian")
        >>> lin(to_gpu(np.zeros((10, 1), np.float32))).shape
        (10, 100)
    """

    def __init__(self, insize, outsize, wscale=1.0, useBias=True, initscheme=None, name=None, empty=False,
                 transpose=False):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.insize = positiveInt(owner, "insize", insize)
        self.outsize = positiveInt(owner, "outsize", outsize)
        self.wscale = realNumber(owner, "wscale", wscale)
        parseInitScheme(initscheme, owner)
        self.useBias = bool(useBias)
        self.transpose = bool(transpose)

        wshape = (self.outsize, self.insize) if self.transpose else (self.insize, self.outsize)
        if empty:
            W = gpuarray.paramArena.empty(wshape, self.calctype)
        else:
            W = createTensorWithScheme(initscheme, wshape, self.wscale, self.insize, self.outsize, owner=owner)
        self.setVar("W", Variable(W))
        if self.useBias:
            self.setVar("b", Variable(gpuarray.paramArena.zeros((self.outsize,), self.calctype)))
        self._ones = None
        self._x = None

    def updateData(self, data):
        W = self.vars["W"]._pdata
        if self.transpose:
            W = W.T
        shape = (data.shape[0], self.outsize)
        out, o = (self._reuse and self._outBufs.get(("data", shape, data.dtype))) or \
            self._bufferPair("data", shape, data.dtype)
        x = _plain(data)
        self._x = x
        if self.insize == 1:
            xp.multiply(x, W, out=o)  # an outer product: cheaper than a matrix product
        else:
            xp.matmul(x, W, out=o)
        if self.useBias:
            xp.add(o, self.vars["b"]._pdata, out=o)
        self.data = out

    def updateGrad(self, grad):
        W = self.vars["W"]._pdata
        shape = (grad.shape[0], self.insize)
        out, o = (self._reuse and self._outBufs.get(("grad", shape, grad.dtype))) or \
            self._bufferPair("grad", shape, grad.dtype)
        if self.outsize == 1:
            xp.multiply(_plain(grad), W if self.transpose else W.reshape(1, -1), out=o)  # an outer product
        else:
            xp.matmul(_plain(grad), W if self.transpose else W.T, out=o)
        self.grad = out

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        x = self._x  # the plain view of inData, taken in updateData
        g = _plain(grad)
        Wvar = self.vars["W"]
        out, fold = self._paramGradTarget(Wvar, "dW", scale, momentum)
        if self.transpose:
            xp.matmul(g.T, x, out=out)
        else:
            xp.matmul(x.T, g, out=out)
        if fold:
            self._accumulateParamGrad(Wvar, out, scale, momentum)

        if self.useBias:
            bvar = self.vars["b"]
            out, fold = self._paramGradTarget(bvar, "db", scale, momentum)
            xp.matmul(self._onesFor(g), g, out=out)  # the sum over the batch, as a matrix-vector product
            if fold:
                self._accumulateParamGrad(bvar, out, scale, momentum)

    def _onesFor(self, grad):
        """A vector of ones as long as the batch of ``grad`` (the bias gradient is ones @ grad),
        kept while the batch size stays (a new one replaces it, never changes it)."""
        ones = self._ones
        if ones is None or ones.shape[0] != grad.shape[0] or ones.dtype != grad.dtype:
            ones = _plain(gpuarray.empty((grad.shape[0],), grad.dtype))
            ones.fill(1)
            self._ones = ones
        return ones

    def _planStep(self, x, needInputGrad, ownsInput):
        """The ops of updateData, updateGrad and accGradParams with every array bound (see Module)."""
        if callable(x):
            return super()._planStep(x, needInputGrad, ownsInput)
        if not self._runsContractOf(Linear) or x.ndim != 2 or x.shape[1] != self.insize:
            return None
        Wvar, bvar = self.vars["W"], self.vars.get("b") if self.useBias else None
        if Wvar._pgrad is None or (bvar is not None and bvar._pgrad is None):
            return None
        W = Wvar._pdata
        Wx = W.T if self.transpose else W  # x @ Wx
        out = self._bufferPair("data", (x.shape[0], self.outsize), x.dtype)[1]
        forward = [bound(xp.multiply if self.insize == 1 else xp.matmul, x, Wx, out=out)]
        if bvar is not None:
            forward.append(bound(xp.add, out, bvar._pdata, out=out))

        def planBackward(grad):
            ops = []
            inputGrad = None
            if needInputGrad:
                inputGrad = self._bufferPair("grad", (grad.shape[0], self.insize), grad.dtype)[1]
                # grad @ Wx.T; an outer product when the output is 1 wide
                ops.append(bound(xp.multiply if self.outsize == 1 else xp.matmul, grad, Wx.T, out=inputGrad))
            variables = []
            if self.train:
                if self.transpose:
                    ops.append(bound(xp.matmul, grad.T, x, out=Wvar._pgrad))
                else:
                    ops.append(bound(xp.matmul, x.T, grad, out=Wvar._pgrad))
                variables.append(Wvar)
                if bvar is not None:
                    ops.append(bound(xp.matmul, self._onesFor(grad), grad, out=bvar._pgrad))
                    variables.append(bvar)
            return ops, inputGrad, variables

        return forward, out, planBackward

    def checkDataShape(self, shape):
        if len(shape) != 2:
            raise self._error("expected 2-d data (batch, %d), got %d-d data of shape %s" % (self.insize, len(shape), tuple(shape)))
        if shape[1] != self.insize:
            raise self._error("expected data of shape (N, %d), got %s" % (self.insize, tuple(shape)))

    def checkGradShape(self, shape):
        if len(shape) != 2 or shape[1] != self.outsize:
            raise self._error("expected gradient of shape (N, %d), got %s" % (self.outsize, tuple(shape)))
        super().checkGradShape(shape)

    def dataShapeFrom(self, shape):
        return (shape[0], self.outsize)

    def gradShapeFrom(self, shape):
        return (shape[0], self.insize)

    def _extraRepr(self):
        return "%d -> %d%s%s" % (self.insize, self.outsize, "" if self.useBias else ", no bias",
                                 ", transposed" if self.transpose else "")
