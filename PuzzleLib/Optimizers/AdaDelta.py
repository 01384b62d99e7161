"""AdaDelta: step sizes from running averages of squared gradients and squared steps."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkFactor, _checkRate


class AdaDelta(Optimizer):
    """AdaDelta (Zeiler, 2012, https://arxiv.org/abs/1212.5701), for descent-direction grads::

        msg = rho * msg + (1 - rho) * g**2
        dx = sqrt(msdx + epsilon) / sqrt(msg + epsilon) * g
        msdx = rho * msdx + (1 - rho) * dx**2
        W += dx

    There is no step size; ``learnRate`` is 1.0 and each variable's ``learnRate`` multiplies the
    step (``momRate`` is not used).

    Parameters
    ----------
    rho : float in [0, 1)
    epsilon : float

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(2, 1)
        >>> opt = AdaDelta(rho=0.95)
        >>> opt.setupOn(lin)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.ones((1, 2), np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad is all ones
        >>> opt.update()
        >>> (lin.W.get() - W0).ravel().round(4)   # sqrt(epsilon) / sqrt(0.05 + epsilon)
        array([0.0045, 0.0045], dtype=float32)
    """

    stateNames = ("msg", "msdx")
    hyperNames = ("rho", "epsilon")

    def __init__(self, rho=0.95, epsilon=1e-6, nodeinfo=None):
        self.rho = _checkFactor("AdaDelta", "rho", rho)
        self.epsilon = _checkRate("AdaDelta", "epsilon", epsilon)
        self.learnRate = 1.0
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        temp = None if gpuarray.isGPU else self._temp("adadelta", scratch)  # the fused cuda kernel needs none
        gpuarray.kernels.adaDeltaUpdate(param, grad, state["msg"], state["msdx"], learnRate, self.rho, self.epsilon,
                                        scratch, temp)
