"""RMSProp: step sizes from a running average of squared gradients."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkFactor, _checkRate


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton, 2012, Coursera NN lecture 6.5), for descent-direction grads.

    ``ms = factor * ms + (1 - factor) * g**2;  W += learnRate * g / (sqrt(ms) + epsilon)``.

    Parameters
    ----------
    learnRate : float; multiplied by each variable's ``learnRate``
    factor : float in [0, 1), the decay of the running average
    epsilon : float

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(2, 1)
        >>> opt = RMSProp(learnRate=0.1, factor=0.9)
        >>> opt.setupOn(lin)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.ones((1, 2), np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad is all ones
        >>> opt.update()
        >>> (lin.W.get() - W0).ravel().round(4)   # 0.1 / sqrt(0.1)
        array([0.3162, 0.3162], dtype=float32)
    """

    stateNames = ("ms",)
    hyperNames = ("learnRate", "factor", "epsilon")

    def __init__(self, learnRate=1e-3, factor=0.9, epsilon=1e-5, nodeinfo=None):
        self.learnRate = _checkRate("RMSProp", "learnRate", learnRate)
        self.factor = _checkFactor("RMSProp", "factor", factor)
        self.epsilon = _checkRate("RMSProp", "epsilon", epsilon)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        gpuarray.kernels.rmsPropUpdate(param, grad, state["ms"], learnRate, self.factor, self.epsilon, scratch)
