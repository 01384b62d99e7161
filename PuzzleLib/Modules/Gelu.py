"""Gelu: the Gaussian error linear unit, x * Phi(x) (erf form)."""
import math

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle
from PuzzleLib.Modules._inplace import gradTarget, keepInput

xp = gpuarray.xp
_erf = gpuarray.kernels.erf

_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Gelu(Module):
    """``data = 0.5 * x * (1 + erf(x / sqrt(2)))``, i.e. ``x * Phi(x)``, Phi the standard normal
    distribution function (PuzzleLib 1.0's and PyTorch's default form; not the tanh approximation).

    The gradient is the exact derivative, ``Phi(x) + x * exp(-x**2 / 2) / sqrt(2 pi)``.

    Parameters
    ----------
    inplace : bool
        Write the output over the input (the input is first saved for the backward pass) and the
        input gradient over the incoming gradient.

    Shape
    -----
    any -> the same.

    Example::

        >>> Gelu()(to_gpu(np.array([0.0, 1.0, 10.0], np.float32))).get()   # 1.0 -> Phi(1) = 0.8413
        array([ 0.       ,  0.8413447, 10.       ], dtype=float32)

    Hendrycks and Gimpel, 2016, https://arxiv.org/abs/1606.08415
    """

    def __init__(self, inplace=False, name=None):
        super().__init__(name)
        self.inplace = bool(inplace)
        self._x = None
        self._cdf2 = None

    def _phi2(self, x, name):
        """1 + erf(x / sqrt(2)) (twice Phi(x)) in a scratch buffer."""
        t = self._scratch(name, x.shape, x.dtype)
        xp.multiply(x, _SQRT1_2, out=t)
        _erf(t, t)
        t += 1.0
        return t

    def updateData(self, data):
        x, out = keepInput(self, data)
        self._x = x
        t = self._phi2(x, "t")
        self._cdf2 = t  # kept for backward: erf is the costly part of both passes
        xp.multiply(x, t, out=out)
        out *= 0.5
        self.data = out

    def updateGrad(self, grad):
        # d/dx = Phi(x) + x * exp(-x**2 / 2) / sqrt(2 pi)
        x = self._x
        d = self._scratch("d", x.shape, x.dtype)
        xp.multiply(x, x, out=d)
        d *= -0.5
        xp.exp(d, out=d)
        d *= x
        d *= _INV_SQRT_2PI
        half = self._scratch("half", x.shape, x.dtype)
        xp.multiply(self._cdf2, 0.5, out=half)
        d += half
        out = gradTarget(self, grad)
        xp.multiply(grad, d, out=out)
        self.grad = out

    def checkDataShape(self, shape):
        requireSingle(self, shape)

    # what reset clears, the next forward pass sets again (see Handler: no reset between batches)
    _resetClearsOnlyCaches = True

    def reset(self):
        super().reset()
        self._x = None
        self._cdf2 = None

    def _extraRepr(self):
        return "inplace" if self.inplace else ""
