"""RBM: a Bernoulli restricted Boltzmann machine trained by contrastive divergence."""
import math

import numpy as np

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Variable import Variable

_sigmoid = gpuarray.kernels.activationKernels["sigmoid"][0]



class _InterfaceError(ModuleError, RuntimeError):
    """Forward/backward of an RBM: a ModuleError, and the RuntimeError PuzzleLib 1.0 programs catch."""


class RBM(Module):
    """A Bernoulli restricted Boltzmann machine (Hinton, https://www.cs.toronto.edu/~hinton/absps/guideTR.pdf)
    that is a Module only for its variables: W (vsize, hsize) drawn from normal(0, wscale /
    sqrt(vsize + hsize)), visible bias b (vsize,) and hidden bias c (hsize,), zeros. It computes and
    samples on the backend's device arrays (no transfer to the host in a training step). Forward and
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
    rng : generator, optional
        Draws W and the binary samples: anything with ``normal`` and ``random(size)`` (a numpy
        ``RandomState``, ``np.random``, ``cupy.random``); a host generator's draws are copied to
        the device. Default: W from numpy's global generator, as upstream, and the samples from
        the backend's (``gpuarray.xp.random``: ``np.random`` on the CPU), so that sampling and
        training stay on the device.
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

    def __init__(self, vsize, hsize, wscale=1.0, rng=None, useBias=True, name=None):
        super().__init__(name)
        for argname, value in (("vsize", vsize), ("hsize", hsize)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ModuleError("RBM: %s must be a positive integer, got %r" % (argname, value))
        if rng is not None and not callable(getattr(rng, "random", None)):
            raise ModuleError("RBM: rng must have a random(size) method (e.g. np.random), got %r" % (rng,))
        self.vsize, self.hsize, self.rng, self.useBias = vsize, hsize, rng, bool(useBias)
        W = (np.random if rng is None else rng).normal(0.0, wscale / math.sqrt(vsize + hsize), size=(vsize, hsize))
        self.setVar("W", Variable(gpuarray.asDevice(W).astype(np.float32)))
        if self.useBias:
            self.setVar("b", Variable(gpuarray.zeros((vsize,), np.float32)))
            self.setVar("c", Variable(gpuarray.zeros((hsize,), np.float32)))
        self.particles = None

    def _check(self, data, size, what):
        shape = getattr(data, "shape", None)
        if shape is None or len(shape) != 2 or shape[1] != size:
            raise ModuleError("%s: expected %s units (N, %d), got %s" % (self._label(), what, size, shape))

    def _device(self, data):
        """``data`` as a device array of the compute dtype (a host array is copied over once)."""
        data = gpuarray.asDevice(data)
        return data if data.dtype == self.calctype else data.astype(self.calctype)

    def _uniform(self, shape):
        rng = self.rng if self.rng is not None else gpuarray.xp.random
        draws = rng.random(shape)
        return draws if gpuarray.isDeviceArray(draws) else gpuarray.asDevice(draws)

    def _sample(self, p):
        """Binary units: 1 where a uniform draw is below the probability ``p`` (on the device)."""
        return (self._uniform(p.shape) < p).astype(p.dtype)

    def _prob(self, x, transpose):
        W = self.vars["W"].data
        p = gpuarray.xp.matmul(x, W.T if transpose else W)
        if self.useBias:
            p += self.vars["b" if transpose else "c"].data
        _sigmoid(p, p, ())
        return p

    def _hiddenProb(self, v):
        return self._prob(v, transpose=False)

    def _visibleProb(self, h):
        return self._prob(h, transpose=True)

    def hiddenFromVisible(self, v):
        """Binary hidden units sampled from p(h | v) (a device array)."""
        self._check(v, self.vsize, "visible")
        return gpuarray.asDevice(self._sample(self._hiddenProb(self._device(v))))

    def visibleFromHidden(self, h):
        """Binary visible units sampled from p(v | h) (a device array)."""
        self._check(h, self.hsize, "hidden")
        return gpuarray.asDevice(self._sample(self._visibleProb(self._device(h))))

    def calcCDGrad(self, data):
        """CD-1 statistics of the batch ``data`` (N, vsize) into W.grad, b.grad, c.grad."""
        self._check(data, self.vsize, "visible")
        self._checkGrads()
        v0 = self._device(data)
        ph0 = self._hiddenProb(v0)
        v1 = self._sample(self._visibleProb(self._sample(ph0)))
        self._writeGrads(v0, ph0, v1, self._hiddenProb(v1))

    def calcPCDGrad(self, data):
        """Persistent-CD statistics: the negative phase continues the particles' chain."""
        self._check(data, self.vsize, "visible")
        self._checkGrads()
        v0 = self._device(data)
        if self.particles is None or self.particles.shape != v0.shape or self.particles.dtype != v0.dtype:
            self.particles = (self._uniform(v0.shape) < 0.5).astype(v0.dtype)
        ph0 = self._hiddenProb(v0)
        self.particles = self._sample(self._visibleProb(self._sample(self._hiddenProb(self.particles))))
        self._writeGrads(v0, ph0, self.particles, self._hiddenProb(self.particles))

    def _checkGrads(self):
        if any(var.grad is None for var in self.vars.values()):
            raise ModuleError("%s: the variables have no gradient buffers (built in eval mode?)" % self._label())

    def _writeGrads(self, v0, ph0, v1, ph1):
        xp = gpuarray.xp
        gW = self.vars["W"].grad
        gW[...] = xp.matmul(v0.T, ph0)
        gW -= xp.matmul(v1.T, ph1)
        if self.useBias:
            self.vars["b"].grad[...] = (v0 - v1).sum(axis=0)
            self.vars["c"].grad[...] = (ph0 - ph1).sum(axis=0)

    def updateData(self, data):
        raise _InterfaceError("RBM does not support full module interface: use hiddenFromVisible / calcCDGrad")

    def updateGrad(self, grad):
        raise _InterfaceError("RBM does not support full module interface: use visibleFromHidden / calcCDGrad")

    def dataShapeFrom(self, shape):
        return (shape[0], self.hsize)

    def __str__(self):
        return "RBM(name=%r, %d visible, %d hidden)" % (self.name, self.vsize, self.hsize)
