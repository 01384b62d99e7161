"""Penalty: an identity layer that adds an L1 or L2 penalty on its input to the gradient."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._enum import _Choice
from PuzzleLib.Modules._args import requireSingle
from PuzzleLib.Modules._validate import choiceArg, ownerName, realNumber

xp = gpuarray.xp



class PenaltyMode(_Choice):
    """Which norm Penalty adds: the sum of absolute values or half the sum of squares.

    Example::

        >>> Penalty(mode=PenaltyMode.l2).mode
        'l2'
    """
    l1 = "l1"
    l2 = "l2"


modes = tuple(member.value for member in PenaltyMode)


class Penalty(Module):
    """Identity forward; backward adds the (negative) gradient of a penalty on the activations.

    The penalty per batch is ``weight * sum(|x|) / N`` ("l1") or ``weight * 0.5 * sum(x**2) / N``
    ("l2"), N the batch size (first axis). As every PuzzleLib gradient is a descent direction, the
    input gradient is ``grad - weight * sign(x) / N`` (l1) or ``grad - weight * x / N`` (l2).
    ``getPenalty()`` gives the last batch's penalty value.

    Parameters
    ----------
    mode : "l1" or "l2"
    weight : float
        The penalty's weight (non-negative).

    Shape
    -----
    any -> the same shape.

    Example::

        >>> pen = Penalty("l1", weight=0.5)
        >>> x = to_gpu(np.array([[-2.0, 3.0]], np.float32))
        >>> pen(x).get()
        array([[-2.,  3.]], dtype=float32)
        >>> pen.backward(to_gpu(np.zeros((1, 2), np.float32))).get()   # -0.5 * sign(x) / 1
        array([[ 0.5, -0.5]], dtype=float32)
        >>> pen.getPenalty()   # 0.5 * (2 + 3) / 1
        2.5
    """

    def __init__(self, mode="l1", weight=0.01, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.mode = choiceArg(owner, "mode", mode, modes)
        self.weight = realNumber(owner, "weight", weight)
        if self.weight < 0:
            raise ModuleError("%s: weight must be non-negative, got %r" % (owner, weight))

    def checkDataShape(self, shape):
        requireSingle(self, shape)

    def updateData(self, data):
        self.data = data

    def updateGrad(self, grad):
        x = self.inData
        coeff = self.weight / x.shape[0]
        out = self._buffer("grad", grad.shape, grad.dtype)
        if self.mode == "l1":
            xp.sign(x, out=out)
        else:
            out[...] = x
        out *= -coeff
        out += grad
        self.grad = out

    def getPenalty(self):
        """The penalty of the last input (a float), 0.0 before any forward pass."""
        x = self.inData
        if x is None:
            return 0.0
        if self.mode == "l1":
            value = xp.sum(xp.abs(x))
        else:
            value = 0.5 * xp.sum(x * x)
        return float(value) * self.weight / x.shape[0]

    def _extraRepr(self):
        return "%s, weight=%g" % (self.mode, self.weight)
