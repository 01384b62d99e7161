"""SGD: plain stochastic gradient descent."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkRate


class SGD(Optimizer):
    """``W += learnRate * W.grad`` (grads are descent directions).

    Parameters
    ----------
    learnRate : float; multiplied by each variable's ``learnRate``

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(2, 1)
        >>> opt = SGD(learnRate=0.1)
        >>> opt.setupOn(lin)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.ones((1, 2), np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad is all ones
        >>> opt.update()
        >>> (lin.W.get() - W0).ravel().round(4)   # learnRate * grad
        array([0.1, 0.1], dtype=float32)
    """

    def __init__(self, learnRate=1e-3, nodeinfo=None):
        self.learnRate = _checkRate("SGD", "learnRate", learnRate)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        gpuarray.kernels.sgdUpdate(param, grad, learnRate, scratch)
