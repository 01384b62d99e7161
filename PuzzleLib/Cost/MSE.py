"""MSE: mean squared error, ``0.5 * mean((target - pred)**2)``."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost.Cost import Cost

kernels = gpuarray.kernels
_plain = kernels.plain


class MSE(Cost):
    """Mean squared error: ``error = 0.5 * mean((target - pred)**2)`` over all elements.

    The gradient handed back is ``(target - pred) / N`` (N = number of elements): the negative
    gradient of the error, as every PuzzleLib cost returns.

    Example::

        >>> mse = MSE()
        >>> err, grad = mse(to_gpu(np.zeros((2, 1), np.float32)), to_gpu(np.ones((2, 1), np.float32)))
        >>> err, grad.get().ravel()
        (0.5, array([0.5, 0.5], dtype=float32))
    """

    def calcErrorAndGrad(self, pred, target):
        grad, g = self._gradBufferPair(pred)
        error = kernels.mseGradError(_plain(pred), _plain(target), g)
        return error, grad

    def _planGrad(self, pred):
        if not self._runsContractOf(MSE):
            return None
        current, read = self._plannedPrediction(pred)
        if not hasattr(current, "shape"):
            return None  # a list of outputs: MSE takes one
        grad, g = self._gradBufferPair(current)
        mseGradError = kernels.mseGradError

        def errorAndGrad(target):
            return mseGradError(read(), target, g)

        return errorAndGrad, grad

    def calcError(self, pred, target):
        return kernels.mseError(_plain(pred), _plain(target))

    def calcGrad(self, pred, target):
        grad, g = self._gradBufferPair(pred)
        kernels.mseGradError(_plain(pred), _plain(target), g)
        return grad
