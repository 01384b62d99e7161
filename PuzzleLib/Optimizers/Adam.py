"""Adam: adaptive moment estimation with a bias-corrected step size."""
import math

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import Optimizer, _checkFactor, _checkRate


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015, https://arxiv.org/abs/1412.6980), for descent-direction grads.

    With ``t`` the step count (``opt.t``, from 1)::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        W += alpha * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + epsilon)

    The bias correction goes into the step size, so ``epsilon`` is added to the uncorrected
    ``sqrt(v)`` (the paper's "more efficient" ordering). ``learnRate`` is another name for
    ``alpha``; each variable's ``learnRate`` multiplies it (``momRate`` is not used).

    Parameters
    ----------
    alpha : float, the step size
    beta1, beta2 : float in [0, 1)
    epsilon : float

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(2, 1)
        >>> opt = Adam(alpha=1e-3)
        >>> opt.setupOn(lin, useGlobalState=True)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.ones((1, 2), np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad is all ones
        >>> opt.update()
        >>> (lin.W.get() - W0).ravel().round(4)   # the first step is about alpha
        array([0.001, 0.001], dtype=float32)
    """

    stateNames = ("mom", "ms")
    hyperNames = ("alpha", "beta1", "beta2", "epsilon")

    def __init__(self, alpha=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, nodeinfo=None):
        self.alpha = _checkRate("Adam", "alpha", alpha)
        self.beta1 = _checkFactor("Adam", "beta1", beta1)
        self.beta2 = _checkFactor("Adam", "beta2", beta2)
        self.epsilon = _checkRate("Adam", "epsilon", epsilon)
        super().__init__(nodeinfo)

    @property
    def learnRate(self):
        return self.alpha

    @learnRate.setter
    def learnRate(self, value):
        self.alpha = value

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        t = max(self.t, 1)
        stepSize = learnRate * math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        gpuarray.kernels.adamUpdate(param, grad, state["mom"], state["ms"], stepSize, self.beta1, self.beta2,
                                    self.epsilon, scratch)
