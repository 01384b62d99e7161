"""NesterovSGD: gradient descent with Nesterov momentum."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkFactor, _checkRate


class NesterovSGD(Optimizer):
    """Nesterov's accelerated gradient (grads are descent directions).

    ``m = momRate * m + learnRate * g;  W += momRate * m + learnRate * g`` -- the same as taking
    the momentum step first and the gradient at the look-ahead point (Sutskever et al., 2013,
    http://proceedings.mlr.press/v28/sutskever13.html).

    Parameters
    ----------
    learnRate : float
    momRate : float in [0, 1); multiplied by each variable's ``momRate``

    Example::

        >>> opt = NesterovSGD(learnRate=1e-2, momRate=0.9)
        >>> opt.setupOn(net)
    """

    stateNames = ("mom",)
    hyperNames = ("learnRate", "momRate")

    def __init__(self, learnRate=1e-3, momRate=0.9, nodeinfo=None):
        self.learnRate = _checkRate("NesterovSGD", "learnRate", learnRate)
        self.momRate = _checkFactor("NesterovSGD", "momRate", momRate)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        gpuarray.kernels.nesterovUpdate(param, grad, state["mom"], learnRate, self.momRate * momRate, scratch)
