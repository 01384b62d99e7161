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

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(2, 1)
        >>> opt = MomentumSGD(learnRate=0.1, momRate=0.9)
        >>> opt.setupOn(lin)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.ones((1, 2), np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad is all ones
        >>> opt.update(); opt.update()   # two steps
        >>> (lin.W.get() - W0).ravel().round(4)   # 0.1, then 0.9 * 0.1 + 0.1
        array([0.29, 0.29], dtype=float32)
    """

    stateNames = ("mom",)
    hyperNames = ("learnRate", "momRate")

    def __init__(self, learnRate=1e-3, momRate=0.9, nodeinfo=None):
        self.learnRate = _checkRate("MomentumSGD", "learnRate", learnRate)
        self.momRate = _checkFactor("MomentumSGD", "momRate", momRate)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        gpuarray.kernels.momentumUpdate(param, grad, state["mom"], learnRate, self.momRate * momRate, scratch)
