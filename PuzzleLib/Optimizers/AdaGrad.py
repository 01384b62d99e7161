"""AdaGrad: per-element step sizes from the sum of squared gradients."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkRate


class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011, https://jmlr.org/papers/v12/duchi11a.html).

    ``h += g**2;  W += learnRate * g / (sqrt(h) + epsilon)`` (grads are descent directions).

    Parameters
    ----------
    learnRate : float; multiplied by each variable's ``learnRate``
    epsilon : float

    Example::

        >>> opt = AdaGrad(learnRate=1e-2)
        >>> opt.setupOn(net)
    """

    stateNames = ("h",)
    hyperNames = ("learnRate", "epsilon")

    def __init__(self, learnRate=1e-3, epsilon=1e-8, nodeinfo=None):
        self.learnRate = _checkRate("AdaGrad", "learnRate", learnRate)
        self.epsilon = _checkRate("AdaGrad", "epsilon", epsilon)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        gpuarray.kernels.adaGradUpdate(param, grad, state["h"], learnRate, self.epsilon, scratch)
