"""RBM: a Bernoulli restricted Boltzmann machine trained by contrastive divergence."""
import math

import numpy as np

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Variable import Variable


def _sigmoid(xp, x):
    return 1.0 / (1.0 + xp.exp(-x))


class RBM(Module):
    """A Bernoulli restricted Boltzmann machine (Hinton, https://www.cs.toronto.edu/~hinton/absps/guideTR.pdf)
    that is a Module only for its variables: W (vsize, hsize) drawn from normal(0, wscale /
    sqrt(vsize + hsize)), visible bias b (vsize,) and hidden bias c (hsize,), zeros. Forward and
    backward are refused; ``calcCDGrad(data)`` (CD-1) and ``calcPCDGrad(data)`` (persistent CD,
    particles starting Bernoulli(0.5)) write positive minus negative statistics, summed over the
    batch, into the variables' gradients: an ascent direction, which the library's optimizers
    (that add the gradient) follow.

    Parameters
    ----------
    vsize, hsize : int
        Visible and hidden units.
    wscale : float
        Scale of W's initialisation.
    rng : numpy RandomState-like
        Draws W and the binary samples (default numpy's global generator).
    useBias : bool
        Keep b and c (else the biases are zero and have no gradient).
    name : str, optional

    Example::

        >>> from PuzzleLib.Optimizers import MomentumSGD
        >>> rbm = RBM(6, 3)
        >>> optimizer = MomentumSGD(learnRate=0.01, momRate=0.5)
        >>> optimizer.setupOn(rbm, useGlobalState=True)
        >>> rbm.calcPCDGrad(to_gpu((np.random.rand(4, 6) > 0.5).astype(np.float32)))
        >>> optimizer.update()
        >>> rbm.hiddenFromVisible(to_gpu(np.ones((2, 6), np.float32))).shape
        (2, 3)
    """

    def __init__(self, vsize, hsize, wscale=1.0, rng=np.random, useBias=True, name=None):
        super().__init__(name)
        for argname, value in (("vsize", vsize), ("hsize", hsize)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ModuleError("RBM: %s must be a positive integer, got %r" % (argname, value))
        self.vsize, self.hsize, self.rng, self.useBias = vsize, hsize, rng, bool(useBias)
        W = rng.normal(0.0, wscale / math.sqrt(vsize + hsize), size=(vsize, hsize)).astype(np.float32)
        self.setVar("W", Variable(gpuarray.to_gpu(W)))
        if self.useBias:
            self.setVar("b", Variable(gpuarray.zeros((vsize,), np.float32)))
            self.setVar("c", Variable(gpuarray.zeros((hsize,), np.float32)))
        self.particles = None

    def _plain(self, ary):
        return ary.get() if hasattr(ary, "get") else np.asarray(ary)

    def _check(self, data, size, what):
        shape = getattr(data, "shape", None)
        if shape is None or len(shape) != 2 or shape[1] != size:
            raise ModuleError("%s: expected %s units (N, %d), got %s" % (self._label(), what, size, shape))

    def _sample(self, p):
        return (self.rng.random_sample(p.shape) < p).astype(np.float32)

    def _hiddenProb(self, v):
        W = self._plain(self.vars["W"].data)
        x = v @ W
        if self.useBias:
            x = x + self._plain(self.vars["c"].data)
        return _sigmoid(np, x)

    def _visibleProb(self, h):
        W = self._plain(self.vars["W"].data)
        x = h @ W.T
        if self.useBias:
            x = x + self._plain(self.vars["b"].data)
        return _sigmoid(np, x)

    def hiddenFromVisible(self, v):
        """Binary hidden units sampled from p(h | v) (a device array)."""
        self._check(v, self.vsize, "visible")
        return gpuarray.to_gpu(self._sample(self._hiddenProb(self._plain(v).astype(np.float32))))

    def visibleFromHidden(self, h):
        """Binary visible units sampled from p(v | h) (a device array)."""
        self._check(h, self.hsize, "hidden")
        return gpuarray.to_gpu(self._sample(self._visibleProb(self._plain(h).astype(np.float32))))

    def calcCDGrad(self, data):
        """CD-1 statistics of the batch ``data`` (N, vsize) into W.grad, b.grad, c.grad."""
        self._check(data, self.vsize, "visible")
        v0 = self._plain(data).astype(np.float32)
        ph0 = self._hiddenProb(v0)
        v1 = self._sample(self._visibleProb(self._sample(ph0)))
        self._writeGrads(v0, ph0, v1, self._hiddenProb(v1))

    def calcPCDGrad(self, data):
        """Persistent-CD statistics: the negative phase continues the particles' chain."""
        self._check(data, self.vsize, "visible")
        v0 = self._plain(data).astype(np.float32)
        if self.particles is None or self.particles.shape != v0.shape:
            self.particles = (self.rng.random_sample(v0.shape) < 0.5).astype(np.float32)
        ph0 = self._hiddenProb(v0)
        self.particles = self._sample(self._visibleProb(self._sample(self._hiddenProb(self.particles))))
        self._writeGrads(v0, ph0, self.particles, self._hiddenProb(self.particles))

    def _writeGrads(self, v0, ph0, v1, ph1):
        grads = {"W": v0.T @ ph0 - v1.T @ ph1}
        if self.useBias:
            grads["b"] = (v0 - v1).sum(axis=0)
            grads["c"] = (ph0 - ph1).sum(axis=0)
        for name, value in grads.items():
            var = self.vars[name]
            if var.grad is None:
                raise ModuleError("%s: the variables have no gradient buffers (built in eval mode?)" % self._label())
            var.grad.set(value.astype(np.float32))

    def updateData(self, data):
        raise ModuleError("RBM does not support full module interface: use hiddenFromVisible / calcCDGrad")

    def updateGrad(self, grad):
        raise ModuleError("RBM does not support full module interface: use visibleFromHidden / calcCDGrad")

    def dataShapeFrom(self, shape):
        return (shape[0], self.hsize)

    def __str__(self):
        return "RBM(name=%r, %d visible, %d hidden)" % (self.name, self.vsize, self.hsize)
