"""SMORMS3: squared mean over root mean squared, cubed (Simon Funk, 2015)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkRate


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

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(2, 1)
        >>> opt = SMORMS3(learnRate=0.1)
        >>> opt.setupOn(lin)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.ones((1, 2), np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad is all ones
        >>> opt.update()
        >>> (lin.W.get() - W0).ravel().round(4)   # min(0.1, 0.5) / sqrt(0.5)
        array([0.1414, 0.1414], dtype=float32)
    """

    stateNames = ("mem", "mg", "ms")
    stateInit = {"mem": 1.0}
    hyperNames = ("learnRate", "epsilon")

    def __init__(self, learnRate=1e-3, epsilon=1e-16, nodeinfo=None):
        self.learnRate = _checkRate("SMORMS3", "learnRate", learnRate)
        self.epsilon = _checkRate("SMORMS3", "epsilon", epsilon)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        temp = None if gpuarray.isGPU else self._temp("smorms3", scratch)  # the fused cuda kernel needs none
        gpuarray.kernels.smorms3Update(param, grad, state["mem"], state["mg"], state["ms"], learnRate, self.epsilon,
                                       scratch, temp)
