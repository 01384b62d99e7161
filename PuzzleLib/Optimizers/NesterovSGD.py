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

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(2, 1)
        >>> opt = NesterovSGD(learnRate=0.1, momRate=0.9)
        >>> opt.setupOn(lin)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.ones((1, 2), np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad is all ones
        >>> opt.update()
        >>> (lin.W.get() - W0).ravel().round(4)   # m = 0.1; W += 0.9 * m + 0.1
        array([0.19, 0.19], dtype=float32)
    """

    stateNames = ("mom",)
    hyperNames = ("learnRate", "momRate")

    def __init__(self, learnRate=1e-3, momRate=0.9, nodeinfo=None):
        self.learnRate = _checkRate("NesterovSGD", "learnRate", learnRate)
        self.momRate = _checkFactor("NesterovSGD", "momRate", momRate)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        gpuarray.kernels.nesterovUpdate(param, grad, state["mom"], learnRate, self.momRate * momRate, scratch)
