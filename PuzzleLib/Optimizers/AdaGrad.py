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

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(2, 1)
        >>> opt = AdaGrad(learnRate=0.1)
        >>> opt.setupOn(lin)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.ones((1, 2), np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad is all ones
        >>> opt.update(); opt.update()   # two steps
        >>> (lin.W.get() - W0).ravel().round(4)   # 0.1 / sqrt(1) + 0.1 / sqrt(2)
        array([0.1707, 0.1707], dtype=float32)
    """

    stateNames = ("h",)
    hyperNames = ("learnRate", "epsilon")

    def __init__(self, learnRate=1e-3, epsilon=1e-8, nodeinfo=None):
        self.learnRate = _checkRate("AdaGrad", "learnRate", learnRate)
        self.epsilon = _checkRate("AdaGrad", "epsilon", epsilon)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        gpuarray.kernels.adaGradUpdate(param, grad, state["h"], learnRate, self.epsilon, scratch)
