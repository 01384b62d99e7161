"""Cast: convert the data from one dtype to another."""
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import dtypeArg, dtypeName, requireSingle
from PuzzleLib.Modules._validate import ownerName


class Cast(Module):
    """``data = x.astype(outtype)`` for input of dtype ``intype``; the gradient is cast back.

    ``calcMode`` does not change the two dtypes. With an integer ``intype`` (e.g. labels or
    indices) there is no input gradient: ``backward`` returns None.

    Parameters
    ----------
    intype, outtype : dtype or dtype name
        E.g. ``np.int32``, ``"float32"``.

    Shape
    -----
    any -> the same.

    Example::

        >>> Cast(np.int32, np.float32)(to_gpu(np.array([1, 2], np.int32))).get()
        array([1., 2.], dtype=float32)
    """

    def __init__(self, intype, outtype, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.intype = dtypeArg(owner, "intype", intype)
        self.outtype = dtypeArg(owner, "outtype", outtype)

    def updateData(self, data):
        out = self._buffer("data", data.shape, self.outtype)
        out[...] = data
        self.data = out

    def updateGrad(self, grad):
        if dtypeName(self.intype)[0] not in "fc":
            self.grad = None
            return
        out = self._buffer("grad", grad.shape, self.intype)
        out[...] = grad
        self.grad = out

    def checkDataType(self, dtype):
        if dtype != self.intype:
            raise self._error("expected data of dtype %s, got %s" % (dtypeName(self.intype), dtypeName(dtype)))

    def checkGradType(self, dtype):
        if dtype != self.outtype:
            raise self._error("expected gradient of dtype %s, got %s" % (dtypeName(self.outtype), dtypeName(dtype)))

    def checkDataShape(self, shape):
        requireSingle(self, shape)

    def getBlueprint(self):
        bp = super().getBlueprint()
        bp["scheme"]["intype"] = dtypeName(self.intype)
        bp["scheme"]["outtype"] = dtypeName(self.outtype)
        return bp

    def _extraRepr(self):
        return "%s -> %s" % (dtypeName(self.intype), dtypeName(self.outtype))
