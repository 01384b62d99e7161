"""MulAddConst: ``a * x + b`` with constants a, b."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle
from PuzzleLib.Modules._validate import ownerName, realNumber

xp = gpuarray.xp


class MulAddConst(Module):
    """An affine map with fixed constants: ``data = a * x + b``; the input gradient is ``a * grad``.

    Parameters
    ----------
    a, b : float
        Multiplier and offset.
    inplace : bool
        Write the output over the input (and the input gradient over the incoming gradient).

    Shape
    -----
    any -> the same.

    Example::

        >>> MulAddConst(a=2.0, b=1.0)(to_gpu(np.array([1.0, 2.0], np.float32))).get()
        array([3., 5.], dtype=float32)
    """

    def __init__(self, a=1.0, b=0.0, inplace=False, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.a = realNumber(owner, "a", a)
        self.b = realNumber(owner, "b", b)
        self.inplace = bool(inplace)

    def updateData(self, data):
        out = data if self.inplace else self._buffer("data", data.shape, data.dtype)
        xp.multiply(data, self.a, out=out)
        if self.b != 0.0:
            out += self.b
        self.data = out

    def updateGrad(self, grad):
        out = grad if self.inplace else self._buffer("grad", grad.shape, grad.dtype)
        xp.multiply(grad, self.a, out=out)
        self.grad = out

    def checkDataShape(self, shape):
        requireSingle(self, shape)

    def _extraRepr(self):
        return "a=%g, b=%g%s" % (self.a, self.b, ", inplace" if self.inplace else "")
