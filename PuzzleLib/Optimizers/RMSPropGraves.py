"""RMSPropGraves: RMSProp with centred second moment and momentum, as in Graves (2013)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkFactor, _checkRate


class RMSPropGraves(Optimizer):
    """Graves' RMSProp (https://arxiv.org/abs/1308.0850, eqs. 38-41), for descent-direction grads::

        ms = alpha * ms + (1 - alpha) * g**2
        mg = alpha * mg + (1 - alpha) * g
        delta = momRate * delta + learnRate * g / sqrt(ms - mg**2 + epsilon)
        W += delta

    Parameters
    ----------
    learnRate : float; multiplied by each variable's ``learnRate``
    alpha : float in [0, 1), the decay of the running averages
    momRate : float in [0, 1); multiplied by each variable's ``momRate``
    epsilon : float

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(2, 1)
        >>> opt = RMSPropGraves(learnRate=1e-2)
        >>> opt.setupOn(lin)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.ones((1, 2), np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad is all ones
        >>> opt.update()
        >>> (lin.W.get() - W0).ravel().round(4)   # 0.01 / sqrt(0.05 - 0.05**2 + epsilon)
        array([0.0458, 0.0458], dtype=float32)
    """

    stateNames = ("ms", "mg", "delta")
    hyperNames = ("learnRate", "alpha", "momRate", "epsilon")

    def __init__(self, learnRate=1e-4, alpha=0.95, momRate=0.9, epsilon=1e-4, nodeinfo=None):
        self.learnRate = _checkRate("RMSPropGraves", "learnRate", learnRate)
        self.alpha = _checkFactor("RMSPropGraves", "alpha", alpha)
        self.momRate = _checkFactor("RMSPropGraves", "momRate", momRate)
        self.epsilon = _checkRate("RMSPropGraves", "epsilon", epsilon)
        super().__init__(nodeinfo)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        temp = None if gpuarray.isGPU else self._temp("graves", scratch)  # the fused cuda kernel needs none
        gpuarray.kernels.rmsPropGravesUpdate(param, grad, state["ms"], state["mg"], state["delta"], learnRate,
                                             self.alpha, self.momRate * momRate, self.epsilon, scratch, temp)
