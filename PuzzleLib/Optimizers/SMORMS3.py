"""SMORMS3: squared mean over root mean squared, cubed (Simon Funk, 2015)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkRate


def smorms3Step(param, grad, mem, mg, ms, learnRate, epsilon, scratch, temp):
    """With ``r = 1 / (mem + 1)``: ``mg = (1-r)*mg + r*g; ms = (1-r)*ms + r*g**2;
    x = mg**2 / (ms + eps); param += g * min(learnRate, x) / (sqrt(ms) + eps); mem = 1 + mem*(1 - x)``."""
    xp = gpuarray.xp
    # r = 1 / (mem + 1), kept in temp
    xp.add(mem, 1.0, out=temp)
    xp.reciprocal(temp, out=temp)
    # mg += r * (g - mg), ms += r * (g**2 - ms)
    xp.subtract(grad, mg, out=scratch)
    scratch *= temp
    mg += scratch
    xp.multiply(grad, grad, out=scratch)
    scratch -= ms
    scratch *= temp
    ms += scratch
    # x = mg**2 / (ms + eps), kept in temp
    xp.multiply(mg, mg, out=temp)
    xp.add(ms, epsilon, out=scratch)
    xp.divide(temp, scratch, out=temp)
    # mem = 1 + mem * (1 - x)
    xp.subtract(1.0, temp, out=scratch)
    mem *= scratch
    mem += 1.0
    # param += g * min(lr, x) / (sqrt(ms) + eps)
    xp.minimum(temp, learnRate, out=temp)
    temp *= grad
    xp.sqrt(ms, out=scratch)
    scratch += epsilon
    xp.divide(temp, scratch, out=temp)
    param += temp


class SMORMS3(Optimizer):
    """SMORMS3 (https://sifter.org/~simon/journal/20150420.html), for descent-direction grads.

    Per element, with a memory ``mem`` that starts at 1 and ``r = 1 / (mem + 1)``::

        mg = (1 - r) * mg + r * g
        ms = (1 - r) * ms + r * g**2
        x = mg**2 / (ms + epsilon)
        W += g * min(learnRate, x) / (sqrt(ms) + epsilon)
        mem = 1 + mem * (1 - x)

    (The running averages are computed as ``mg += r * (g - mg)``, the same up to rounding.)

    Parameters
    ----------
    learnRate : float; multiplied by each variable's ``learnRate``
    epsilon : float

    Example::

        >>> opt = SMORMS3(learnRate=1e-3)
        >>> opt.setupOn(net)
    """

    stateNames = ("mem", "mg", "ms")
    stateInit = {"mem": 1.0}
    hyperNames = ("learnRate", "epsilon")

    def __init__(self, learnRate=1e-3, epsilon=1e-16, nodeinfo=None):
        self.learnRate = _checkRate("SMORMS3", "learnRate", learnRate)
        self.epsilon = _checkRate("SMORMS3", "epsilon", epsilon)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        temp = self._temp("smorms3", scratch)
        smorms3Step(param, grad, state["mem"], state["mg"], state["ms"], learnRate, self.epsilon, scratch, temp)
