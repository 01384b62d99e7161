"""GroupLinear: independent fully connected layers, one per group, in one module."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._enum import _Choice
from PuzzleLib.Modules._initscheme import createTensorWithScheme, parseInitScheme
from PuzzleLib.Modules._matmul import matmul
from PuzzleLib.Modules._validate import ownerName, positiveInt, realNumber
from PuzzleLib.Variable import Variable

xp = gpuarray.xp



class GroupMode(_Choice):
    """GroupLinear's inmode / wmode: one input (weight) per group, or one shared by every group.

    Example::

        >>> GroupLinear(groups=3, insize=4, outsize=2, wmode=GroupMode.one).vars["W"].data.shape
        (1, 4, 2)
    """
    full = "full"
    one = "one"


modes = tuple(member.value for member in GroupMode)


class GroupLinear(Module):
    """``groups`` Linear layers side by side: ``y[:, g] = x[:, g] @ W[g] + b[g]``.

    Parameters
    ----------
    groups : int or None
        The number of groups; None (with ``wmode="one"``) takes it from the data on each call.
    insize, outsize : int
    wscale, initscheme, empty
        As for Linear.
    useW : bool
        Use the weights; when False the layer only adds the bias (insize must equal outsize).
    useBias : bool
        Add the bias ``b`` (zeros at start).
    inmode : "full" or "one"
        "full": the input has a group axis; "one": one input feeds every group, given with a
        group axis of length 1 ((N, 1, insize), PuzzleLib 1.0's form) or as (N, insize); its
        gradient comes back in the form it was given.
    wmode : "full" or "one"
        "full": a weight matrix (and bias) per group; "one": one shared by every group.
    batchDim : 0 or 1
        Where the batch axis is: 0 gives (N, groups, size) data, 1 gives (groups, N, size).
    transpW : bool
        Store each weight matrix as (outsize, insize).

    Shape
    -----
    (N, groups, insize) -> (N, groups, outsize) with batchDim=0 ((groups, N, ...) with 1;
    (N, 1, insize) or (N, insize) in with inmode="one"). W: (groups or 1, insize, outsize); b: (groups
    or 1, outsize).

    Example::

        >>> gl = GroupLinear(groups=3, insize=4, outsize=2)
        >>> gl(to_gpu(np.zeros((5, 3, 4), np.float32))).shape
        (5, 3, 2)
    """

    def __init__(self, groups, insize, outsize, wscale=1.0, useW=True, useBias=True, initscheme=None, inmode="full",
                 wmode="full", batchDim=0, name=None, empty=False, transpW=False):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.insize = positiveInt(owner, "insize", insize)
        self.outsize = positiveInt(owner, "outsize", outsize)
        self.wscale = realNumber(owner, "wscale", wscale)
        parseInitScheme(initscheme, owner)
        inmode = getattr(inmode, "value", inmode)
        wmode = getattr(wmode, "value", wmode)
        for argname, value in (("inmode", inmode), ("wmode", wmode)):
            if value not in modes:
                raise ModuleError("%s: %s must be one of %s, got %r" % (owner, argname, ", ".join(modes), value))
        if groups is None:
            if wmode != "one" or inmode != "full":
                raise ModuleError("%s: groups=None (any number of groups) needs wmode='one' and inmode='full' (the "
                                  "weights are shared and the data says how many groups), got wmode=%r, inmode=%r"
                                  % (owner, wmode, inmode))
            self.groups = None
        else:
            self.groups = positiveInt(owner, "groups", groups)
        if batchDim not in (0, 1) or isinstance(batchDim, bool):
            raise ModuleError("%s: batchDim must be 0 or 1, got %r" % (owner, batchDim))
        self.useW, self.useBias = bool(useW), bool(useBias)
        if not self.useW and self.insize != self.outsize:
            raise ModuleError("%s: without weights (useW=False) insize must equal outsize, got %d and %d" % (
                owner, self.insize, self.outsize))
        self.inmode, self.wmode, self.batchDim = inmode, wmode, batchDim
        self.transpW = bool(transpW)

        wgroups = self.groups if wmode == "full" else 1
        if self.useW:
            wshape = (wgroups, self.outsize, self.insize) if self.transpW else (wgroups, self.insize, self.outsize)
            if empty:
                W = gpuarray.empty(wshape, self.calctype)
            else:
                W = createTensorWithScheme(initscheme, wshape, self.wscale, self.insize, self.outsize, owner=owner)
            self.setVar("W", Variable(W))
        if self.useBias:
            self.setVar("b", Variable(gpuarray.zeros((wgroups, self.outsize), self.calctype)))

    # group-major views: (G, N, size)
    def _groupMajor(self, ary):
        return ary if self.batchDim == 1 else ary.transpose(1, 0, 2)

    def _inputGroupMajor(self, data):
        """The input as (G, N, insize); G is 1 for inmode 'one' (given as (N, insize) or with a
        group axis of length 1)."""
        return data[None] if data.ndim == 2 else self._groupMajor(data)

    def _groupsOf(self, shape):
        """The number of groups for data (or output gradient) of ``shape``."""
        if self.groups is not None:
            return self.groups
        return shape[1 - self.batchDim]

    def _batchOf(self, shape):
        return shape[0] if len(shape) == 2 else shape[self.batchDim]

    def _weights(self):
        W = self.vars["W"].data
        return W.transpose(0, 2, 1) if self.transpW else W

    def updateData(self, data):
        x = self._inputGroupMajor(data)
        y = matmul(x, self._weights()) if self.useW else x
        if self.useBias:
            y = y + self.vars["b"].data[:, None, :]
        y = xp.broadcast_to(y, (self._groupsOf(data.shape), self._batchOf(data.shape), self.outsize))
        out = self._buffer("data", self.dataShapeFrom(data.shape), data.dtype)
        out[...] = self._groupMajor(y)
        self.data = out

    def updateGrad(self, grad):
        gy = self._groupMajor(grad)
        gx = matmul(gy, self._weights().transpose(0, 2, 1)) if self.useW else gy
        out = self._buffer("grad", self.inData.shape, grad.dtype)
        if self.inmode == "one":
            out[...] = xp.sum(gx, axis=0).reshape(out.shape)
        else:
            out[...] = self._groupMajor(xp.broadcast_to(gx, (self._groupsOf(grad.shape),) + gx.shape[1:]))
        self.grad = out

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        gy = self._groupMajor(grad)
        shared = self.wmode == "one"
        if self.useW:
            x = self._inputGroupMajor(self.inData)
            if self.transpW:
                dW = matmul(gy.transpose(0, 2, 1), x)
            else:
                dW = matmul(x.transpose(0, 2, 1), gy)
            if shared:
                dW = dW.sum(axis=0, keepdims=True)
            self._accumulateParamGrad(self.vars["W"], xp.ascontiguousarray(dW), scale, momentum)
        if self.useBias:
            db = gy.sum(axis=(0, 1) if shared else 1)
            db = db.reshape(self.vars["b"].grad.shape)
            self._accumulateParamGrad(self.vars["b"], db, scale, momentum)

    def checkDataShape(self, shape):
        if self.inmode == "one":
            withAxis = ("N", 1, self.insize) if self.batchDim == 0 else (1, "N", self.insize)
            ok = (len(shape) == 2 and shape[1] == self.insize) or \
                 (len(shape) == 3 and shape[1 - self.batchDim] == 1 and shape[2] == self.insize)
            if not ok:
                raise self._error("expected data of shape (%s) or (N, %d) (inmode 'one'), got %s" % (
                    ", ".join(map(str, withAxis)), self.insize, tuple(shape)))
            return
        groups = "G" if self.groups is None else self.groups
        expected = ("N", groups, self.insize) if self.batchDim == 0 else (groups, "N", self.insize)
        if len(shape) != 3 or shape[2] != self.insize or \
                (self.groups is not None and shape[1 - self.batchDim] != self.groups):
            raise self._error("expected data of shape (%s), got %s" % (", ".join(map(str, expected)), tuple(shape)))

    def dataShapeFrom(self, shape):
        n, groups = self._batchOf(shape), self._groupsOf(shape)
        return (n, groups, self.outsize) if self.batchDim == 0 else (groups, n, self.outsize)

    def gradShapeFrom(self, shape):
        n, groups = shape[self.batchDim], self._groupsOf(shape)
        if self.inmode == "one":
            if self.inData is not None and self.inData.ndim == 2:
                return (n, self.insize)
            return (n, 1, self.insize) if self.batchDim == 0 else (1, n, self.insize)
        return (n, groups, self.insize) if self.batchDim == 0 else (groups, n, self.insize)

    def _extraRepr(self):
        return "groups=%s, %d -> %d, inmode=%s, wmode=%s, batchDim=%d" % (
            "any" if self.groups is None else self.groups, self.insize, self.outsize, self.inmode, self.wmode,
            self.batchDim)
