"""Gelu: the Gaussian error linear unit (tanh form)."""
import math

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle
from PuzzleLib.Modules._inplace import gradTarget, keepInput

xp = gpuarray.xp

_C = math.sqrt(2.0 / math.pi)
_K = 0.044715


class Gelu(Module):
    """``data = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))``.

    This is the tanh approximation of ``x * Phi(x)`` (within about 1e-3 of the erf form); the
    gradient is the exact derivative of the formula above.

    Parameters
    ----------
    inplace : bool
        Write the output over the input (the input is first saved for the backward pass) and the
        input gradient over the incoming gradient.

    Shape
    -----
    any -> the same.

    Example::

        >>> Gelu()(to_gpu(np.array([0.0, 10.0], np.float32))).get()
        array([ 0., 10.], dtype=float32)

    Hendrycks and Gimpel, 2016, https://arxiv.org/abs/1606.08415
    """

    def __init__(self, inplace=False, name=None):
        super().__init__(name)
        self.inplace = bool(inplace)
        self._x = None

    def updateData(self, data):
        x, out = keepInput(self, data)
        self._x = x
        t = self._scratch("t", x.shape, x.dtype)
        xp.multiply(x, x, out=t)
        t *= _K
        t += 1.0
        t *= x
        t *= _C
        xp.tanh(t, out=t)
        t += 1.0
        xp.multiply(x, t, out=out)
        out *= 0.5
        self.data = out

    def updateGrad(self, grad):
        # d/dx = 0.5 * (1 + th) + 0.5 * x * (1 - th**2) * c * (1 + 3k x**2)
        x = self._x
        x2 = self._scratch("x2", x.shape, x.dtype)
        th = self._scratch("th", x.shape, x.dtype)
        sech2 = self._scratch("sech2", x.shape, x.dtype)
        xp.multiply(x, x, out=x2)
        xp.multiply(x2, _K, out=th)
        th += 1.0
        th *= x
        th *= _C
        xp.tanh(th, out=th)
        xp.multiply(th, th, out=sech2)
        xp.subtract(1.0, sech2, out=sech2)
        x2 *= 3.0 * _K
        x2 += 1.0
        x2 *= sech2
        x2 *= x
        x2 *= _C
        x2 += th
        x2 += 1.0
        x2 *= 0.5
        out = gradTarget(self, grad)
        xp.multiply(grad, x2, out=out)
        self.grad = out

    def checkDataShape(self, shape):
        requireSingle(self, shape)

    # what reset clears, the next forward pass sets again (see Handler: no reset between batches)
    _resetClearsOnlyCaches = True

    def reset(self):
        super().reset()
        self._x = None

    def _extraRepr(self):
        return "inplace" if self.inplace else ""
