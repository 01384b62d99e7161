"""MomentumSGD: gradient descent with classical momentum."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkFactor, _checkRate


class MomentumSGD(Optimizer):
    """``m = momRate * m + learnRate * W.grad; W += m`` (grads are descent directions).

    Parameters
    ----------
    learnRate : float
    momRate : float in [0, 1)

    Example::

        >>> opt = MomentumSGD(learnRate=1e-2, momRate=0.9)
        >>> opt.setupOn(net)
    """

    stateNames = ("mom",)
    hyperNames = ("learnRate", "momRate")

    def __init__(self, learnRate=1e-3, momRate=0.9, nodeinfo=None):
        self.learnRate = _checkRate("MomentumSGD", "learnRate", learnRate)
        self.momRate = _checkFactor("MomentumSGD", "momRate", momRate)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        gpuarray.kernels.momentumUpdate(param, grad, state["mom"], learnRate, self.momRate * momRate, scratch)
