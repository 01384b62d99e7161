"""SGD: plain stochastic gradient descent."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkRate


class SGD(Optimizer):
    """``W += learnRate * W.grad`` (grads are descent directions).

    Parameters
    ----------
    learnRate : float; multiplied by each variable's ``learnRate``

    Example::

        >>> opt = SGD(learnRate=1e-2)
        >>> opt.setupOn(net)
    """

    def __init__(self, learnRate=1e-3, nodeinfo=None):
        self.learnRate = _checkRate("SGD", "learnRate", learnRate)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        gpuarray.kernels.sgdUpdate(param, grad, learnRate)
