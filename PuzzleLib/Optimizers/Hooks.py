"""Ready-made optimizer hooks: weight decay and gradient clipping.

A hook is called as ``hook(var, state, optimizer)`` on every trainable Variable before each update
(see ``Optimizer.addHook``) and changes ``var.grad`` in place. Gradients are descent directions, so
weight decay *subtracts* ``rate * W`` from them.

Example::

    >>> from PuzzleLib.Modules import Linear
    >>> from PuzzleLib.Optimizers import MomentumSGD
    >>> from PuzzleLib.Optimizers.Hooks import WeightDecay, ClipByGlobalNorm
    >>> opt = MomentumSGD(learnRate=1e-2)
    >>> opt.setupOn(Linear(4, 2))
    >>> opt.addHook(WeightDecay(1e-4))
    >>> opt.addHook(ClipByGlobalNorm(5.0))
    >>> opt.hooks
    [WeightDecay(rate=0.0001), ClipByGlobalNorm(maxNorm=5.0)]
"""
import math

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Optimizers.Optimizer import _checkRate


class WeightDecay:
    """L2 weight decay: ``g -= rate * W`` (the descent direction of ``rate / 2 * |W|**2``).

    Parameters
    ----------
    rate : float >= 0

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> from PuzzleLib.Optimizers import SGD
        >>> lin = Linear(2, 1)
        >>> opt = SGD(learnRate=1.0)
        >>> opt.setupOn(lin)
        >>> opt.addHook(WeightDecay(0.5))
        >>> W0 = lin.W.get()
        >>> opt.update()   # no backward yet, the gradients are zero: only the decay acts
        >>> np.allclose(lin.W.get(), W0 - 0.5 * W0)
        True
    """

    def __init__(self, rate):
        self.rate = _checkRate("WeightDecay", "rate", rate, allowZero=True)

    def __call__(self, var, state, optimizer):
        if self.rate != 0.0:
            var.grad -= var.data * self.rate

    def __repr__(self):
        return "WeightDecay(rate=%s)" % self.rate


class ClipByValue:
    """Clip every gradient element into ``[-limit, limit]``.

    Parameters
    ----------
    limit : float > 0

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> from PuzzleLib.Optimizers import SGD
        >>> lin = Linear(2, 1)
        >>> opt = SGD(learnRate=0.1)
        >>> opt.setupOn(lin)
        >>> opt.addHook(ClipByValue(0.5))
        >>> y = lin(to_gpu(np.array([[3.0, -0.2]], np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad = [[3], [-0.2]]
        >>> opt.update()   # the hook clips the gradient in place, then the step adds it
        >>> lin.vars["W"].grad.get().ravel()
        array([ 0.5, -0.2], dtype=float32)
    """

    def __init__(self, limit):
        self.limit = _checkRate("ClipByValue", "limit", limit)

    def __call__(self, var, state, optimizer):
        gpuarray.xp.clip(var.grad, -self.limit, self.limit, out=var.grad)

    def __repr__(self):
        return "ClipByValue(limit=%s)" % self.limit


class ClipByGlobalNorm:
    """Scale all gradients by ``maxNorm / norm`` when their joint L2 norm exceeds ``maxNorm``.

    The norm is taken over every trainable Variable of the optimizer together (summed in float64)
    and kept in ``lastNorm``; a NaN or infinite norm leaves the gradients as they are. Both the norm
    and the scaling stay on the device: a step never waits for the GPU (reading ``lastNorm`` does).

    Parameters
    ----------
    maxNorm : float > 0

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> from PuzzleLib.Optimizers import SGD
        >>> lin = Linear(2, 1, useBias=False)
        >>> opt = SGD(learnRate=0.1)
        >>> opt.setupOn(lin)
        >>> clip = ClipByGlobalNorm(1.0)
        >>> opt.addHook(clip)
        >>> y = lin(to_gpu(np.array([[3.0, 4.0]], np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad = [[3], [4]]
        >>> opt.update()
        >>> clip.lastNorm, lin.vars["W"].grad.get().ravel()
        (5.0, array([0.6, 0.8], dtype=float32))
    """

    def __init__(self, maxNorm):
        self.maxNorm = _checkRate("ClipByGlobalNorm", "maxNorm", maxNorm)
        self._norm = None
        self._scale = None
        self._scales = {}  # the scale in each gradient dtype (so that float32 gradients are scaled in float32)

    @property
    def lastNorm(self):
        """The joint norm of the last update's gradients (a float; None before the first update)."""
        return None if self._norm is None else gpuarray.kernels.toScalar(self._norm)

    def prepare(self, optimizer):
        xp = gpuarray.xp
        total = None
        for var in optimizer.variables():
            sq = gpuarray.kernels.sumOfSquares(var.grad)
            total = sq if total is None else total + sq
        self._scales = {}
        if total is None:
            self._norm, self._scale = None, None
            return
        norm = xp.sqrt(total)
        self._norm = norm
        # a NaN or inf norm is left alone (scaling would hide it by zeroing every gradient)
        clip = (norm > self.maxNorm) & (norm < math.inf)
        self._scale = xp.where(clip, self.maxNorm / xp.where(clip, norm, 1.0), 1.0)

    def __call__(self, var, state, optimizer):
        if self._scale is None:
            return
        dtype = var.grad.dtype
        scale = self._scales.get(dtype)
        if scale is None:
            scale = self._scales[dtype] = self._scale.astype(dtype)
        var.grad *= scale

    def __repr__(self):
        return "ClipByGlobalNorm(maxNorm=%s)" % self.maxNorm
