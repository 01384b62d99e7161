"""Batch and instance normalisation shared by BatchNorm, BatchNorm1D/2D/3D, InstanceNorm2D (private).

Forward (train): ``xhat = (x - mean) / sqrt(var + eps)``, ``y = scale * xhat + bias``, the
statistics taken over every axis except the channel axis (batch norm) or over the spatial axes
(instance norm). Backward: ``dx = scale / sqrt(var + eps) * (g - mean(g) - xhat * mean(g * xhat))``.
"""
import numbers

import numpy as np

from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._validate import ownerName, positiveInt
from PuzzleLib.Variable import Variable

xp = gpuarray.xp


def _positiveReal(owner, argname, value, upper=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0 or (
            upper is not None and value > upper):
        what = "a number in (0, %s]" % upper if upper is not None else "a positive number"
        raise ModuleError("%s: %s must be %s, got %r" % (owner, argname, what, value))
    return float(value)


_ones = {}


def _onesVector(n, dtype):
    key = (n, xp.dtype(dtype))
    ones = _ones.get(key)
    if ones is None:
        ones = xp.ones((n,), dtype=dtype)
        _ones[key] = ones
    return ones


def axisSum(x, axes):
    """``x.sum(axis=axes, keepdims=True)`` for the two reductions normalisation needs, every axis
    but the channel axis (batch norm) or the spatial axes (instance norm).

    float32/float64, over every axis but the channels: products of 2-d views with a ones vector
    (BLAS sums these far faster than a strided reduction; a 2-d product is also what CuPy runs
    without copying its operands). Over the spatial axes alone the values summed are contiguous:
    the array library's own reduction (numpy's pairwise sum) is faster there than the product
    (8.2 against 30 ms for an InstanceNorm2D forward pass on (64, 32, 32, 32) float32) and rounds
    as ``np.mean`` / ``np.var`` do.
    float16: the sums are accumulated and returned in float32 (a reduction that widens each element
    as it reads it), since a per-channel sum of a float16 batch passes 65504 long before its mean
    does (BatchNorm2D on (32, 4, 56, 56) data with E[x**2] > 0.65 would give an infinite variance).
    """
    nd = x.ndim
    N, C = x.shape[:2]
    S = x.size // (N * C) if N * C else 0
    kept = (1, C) + (1,) * (nd - 2)
    if x.dtype == np.float16:
        if S and x.flags.c_contiguous and axes in ((0,) + tuple(range(2, nd)), tuple(range(2, nd))):
            perMap = x.reshape(N, C, S).sum(axis=2, dtype=np.float32)
            if axes[0] == 0:
                return perMap.sum(axis=0).reshape(kept)
            return perMap.reshape((N, C) + (1,) * (nd - 2))
        return x.sum(axis=axes, keepdims=True, dtype=np.float32)
    if S and x.flags.c_contiguous:
        if axes == (0,) + tuple(range(2, nd)):
            perMap = xp.matmul(x.reshape(N * C, S), _onesVector(S, x.dtype)) if S > 1 else x.reshape(N * C)
            return xp.matmul(_onesVector(N, x.dtype), perMap.reshape(N, C)).reshape(kept)
    return x.sum(axis=axes, keepdims=True)


def normalize(x, axes, epsilon, xhat, scratch):
    """Fill ``xhat`` with ``x`` normalised over ``axes``; returns (mean, var, invstd), kept dims.
    Empty data gives empty statistics (or zeros where the reduced axes are empty)."""
    kept = axisCount(x.shape, axes)
    count = max(x.size // kept if kept else 0, 1)
    mean = axisSum(x, axes)
    mean *= 1.0 / count
    xp.subtract(x, mean, out=xhat)
    xp.multiply(xhat, xhat, out=scratch)
    var = axisSum(scratch, axes)
    var *= 1.0 / count
    invstd = var + epsilon
    xp.sqrt(invstd, out=invstd)
    xp.reciprocal(invstd, out=invstd)
    xhat *= invstd
    return mean, var, invstd


def normalizeSynced(x, axes, epsilon, xhat, scratch, comm):
    """``normalize`` with the statistics of the data of every rank of ``comm`` (a grid's
    Communicator): two allreduces, of the sums (and counts) and of the squared deviations.
    Returns (mean, var, invstd, count over all ranks)."""
    maps = x.shape[1]
    local = axisSum(x, axes)
    sums = gpuarray.zeros((maps + 1,), local.dtype)  # float32 for float16 data, as axisSum gives
    sums[:maps] = local.reshape(maps)
    sums[maps:] = x.size // maps if maps else 0
    comm.allreduce(sums)
    count = int(round(float(gpuarray.kernels.toScalar(sums[maps]))))
    mean = sums[:maps].reshape(local.shape) * (1.0 / max(count, 1))
    xp.subtract(x, mean, out=xhat)
    xp.multiply(xhat, xhat, out=scratch)
    var = axisSum(scratch, axes)
    comm.allreduce(var)
    var *= 1.0 / max(count, 1)
    invstd = var + epsilon
    xp.sqrt(invstd, out=invstd)
    xp.reciprocal(invstd, out=invstd)
    xhat *= invstd
    return mean, var, invstd, count


def axisCount(shape, axes):
    """The number of separate sums a reduction over ``axes`` gives (the size of the kept axes)."""
    kept = 1
    for i, n in enumerate(shape):
        if i not in axes:
            kept *= n
    return kept


def gradSums(grad, xhat, axes, scratch):
    """(sum(g), sum(g * xhat)) over ``axes``, kept dims."""
    xp.multiply(grad, xhat, out=scratch)
    return axisSum(grad, axes), axisSum(scratch, axes)


def normalizeBackward(grad, xhat, factor, axes, sums, out, count=None):
    """``out = factor * (g - mean(g) - xhat * mean(g * xhat))``, given ``sums`` from gradSums
    (means over ``count`` values: by default those the sums took here)."""
    sumG, sumGX = sums
    if count is None:
        count = 1
        for a in axes:
            count *= grad.shape[a]
    count = max(count, 1)
    xp.multiply(xhat, sumGX * (1.0 / count), out=out)
    xp.subtract(grad, out, out=out)
    out -= sumG * (1.0 / count)
    out *= factor
    return out


class _NormBase(Module):
    """Shared parameters and checks: ``scale`` and ``bias`` per channel."""

    nd = 0

    def _setupAffine(self, maps, affine, empty, initScale):
        shape = (1, maps) + (1,) * self.nd
        self.affine = bool(affine)
        if self.affine:
            if empty:
                scale = gpuarray.empty(shape, self.calctype)
            else:
                scale = gpuarray.to_gpu(initScale(shape).astype(self.calctype))
            self.setVar("scale", Variable(scale))
            self.setVar("bias", Variable(gpuarray.zeros(shape, self.calctype)))

    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=0.0):
        self._sums = None
        try:
            return super().backward(grad, updParamGrads, updGrad, scale, momentum)
        finally:
            self._sums = None

    def _gradSums(self, grad, axes):
        """(sum(g), sum(g * xhat)) over ``axes``, computed once per backward call."""
        if self._sums is None:
            sq = self._scratch("sq", grad.shape, grad.dtype)
            self._sums = gradSums(grad, self._xhat, axes, sq)
        return self._sums

    def _scaleBias(self):
        if self.affine:
            return self.vars["scale"].data, self.vars["bias"].data
        return None, None

    def _layout(self):
        return ["(N, %d)", "(N, %d, L)", "(N, %d, H, W)", "(N, %d, D, H, W)"][self.nd] % self.maps

    def checkDataShape(self, shape):
        if len(shape) != self.nd + 2:
            raise self._error("expected %d-d data %s, got %d-d data of shape %s" % (
                self.nd + 2, self._layout(), len(shape), tuple(shape)))
        if shape[1] != self.maps:
            raise self._error("expected data of shape %s, got %s" % (self._layout(), tuple(shape)))

    def checkGradShape(self, shape):
        if len(shape) != self.nd + 2 or shape[1] != self.maps:
            raise self._error("expected gradient of shape %s, got %s" % (self._layout(), tuple(shape)))
        super().checkGradShape(shape)

    def _accAffine(self, sumG, sumGX, scale, momentum):
        for name, value in (("scale", sumGX), ("bias", sumG)):
            var = self.vars[name]
            tmp = self._scratch("d" + name, var.grad.shape, var.grad.dtype)
            xp.copyto(tmp, value.reshape(var.grad.shape))
            self._accumulateParamGrad(var, tmp, scale, momentum)


class BatchNormND(_NormBase):
    """Batch normalisation over every axis but the channel axis (1).

    In train mode the batch statistics normalise the data and move the running ``mean`` and
    ``var`` attrs (``var`` unbiased) by a factor that starts at ``initFactor`` and decays as
    ``max(initFactor / t, minFactor)`` on the t-th training batch. In eval mode the running
    statistics normalise the data.
    """

    _resumeAttrs = ("numOfCalls",)  # training state a checkpoint keeps (PuzzleLib.Handlers.Checkpoint)
    # a grid's Communicator when the batch statistics are taken over every rank's data
    # (PuzzleLib.Grid.DataParallel(..., syncBatchNorm=True))
    _gridComm = None

    def __init__(self, maps, epsilon=1e-05, initFactor=1.0, minFactor=0.1, sscale=0.01, affine=True, name=None,
                 empty=False, inplace=False):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.maps = positiveInt(owner, "maps" if self.nd else "size", maps)
        self.epsilon = _positiveReal(owner, "epsilon", epsilon)
        self.initFactor = _positiveReal(owner, "initFactor", initFactor, upper=1.0)
        self.minFactor = _positiveReal(owner, "minFactor", minFactor, upper=1.0)
        if self.minFactor > self.initFactor:
            raise ModuleError("%s: minFactor (%r) must not exceed initFactor (%r)" % (owner, minFactor, initFactor))
        if isinstance(sscale, bool) or not isinstance(sscale, numbers.Real) or sscale < 0:
            raise ModuleError("%s: sscale must be a non-negative number, got %r" % (owner, sscale))
        self.sscale = float(sscale)
        self.inplace = bool(inplace)

        def initScale(shape):
            if self.sscale > 0:
                return np.random.normal(1.0, self.sscale, size=shape)
            return np.ones(shape)

        self._setupAffine(self.maps, affine, empty, initScale)
        shape = (1, self.maps) + (1,) * self.nd
        self.setAttr("mean", gpuarray.zeros(shape, self.calctype))
        var = gpuarray.empty(shape, self.calctype)
        var.fill(1)
        self.setAttr("var", var)
        self.numOfCalls = 0
        self.savemean = None  # the last training batch's statistics (PuzzleLib 1.0's names)
        self.saveinvvar = None
        self._warnedSingle = False
        self._axes = (0,) + tuple(range(2, self.nd + 2))
        self._stats64 = None  # (3, maps) float64 mean, var, invstd of a compiled forward pass

    def _factor(self):
        return max(self.initFactor / self.numOfCalls, self.minFactor)

    def updateData(self, data):
        out = self._buffer("data", data.shape, data.dtype)
        scale, bias = self._scaleBias()
        if self.train:
            if data.size == 0:
                raise self._error("cannot take batch statistics of an empty batch: data of shape %s"
                                  % (tuple(data.shape),))
            comm = self._gridComm
            synced = comm is not None and comm.size > 1
            # the kernel walks one channel's (N, S) values at a time: with short rows of S values it
            # strides through memory (BatchNorm on (256, 1024) data took 10 times numpy's time)
            spatial = data.size // max(data.shape[0] * self.maps, 1)
            fused = None if synced or spatial < 64 else gpuarray.kernels.fusedKernel("batchNormTrain", data)
            self._stats64 = None
            if fused is not None:
                # no xhat: the compiled backward pass takes it again from the input
                mean, var, invstd = self._fusedForward(fused, data, out)
                self._xhat, self._invstd, self._count = None, invstd, data.size // self.maps
                self._finishTrain(mean, var, invstd, self._count, data.shape)
                self.data = out
                return
            xhat = self._buffer("xhat", data.shape, data.dtype)  # per call: kept for backward
            sq = self._scratch("sq", data.shape, data.dtype)
            if synced:
                mean, var, invstd, count = normalizeSynced(data, self._axes, self.epsilon, xhat, sq, comm)
            else:
                mean, var, invstd = normalize(data, self._axes, self.epsilon, xhat, sq)
                count = data.size // self.maps
            self._xhat, self._invstd, self._count = xhat, invstd, count
            self._finishTrain(mean, var, invstd, count, data.shape)
            if self.affine:
                xp.multiply(xhat, scale, out=out)
                out += bias
            else:
                xp.copyto(out, xhat)
        else:
            mul = self.attrs["var"] + self.epsilon
            xp.sqrt(mul, out=mul)
            xp.reciprocal(mul, out=mul)
            if self.affine:
                mul *= scale
            add = -self.attrs["mean"] * mul
            if self.affine:
                add += bias
            xp.multiply(data, mul, out=out)
            out += add
            self._evalMul = mul
        self.data = out

    def _finishTrain(self, mean, var, invstd, count, shape):
        """Keep a training batch's statistics (savemean, saveinvvar) and move the running ones."""
        self.savemean, self.saveinvvar = gpuarray.asDevice(mean), gpuarray.asDevice(invstd)
        if count > 1:
            self.numOfCalls += 1
            f = self._factor()
            unbiased = var * (count / (count - 1.0))
            runMean, runVar = self.attrs["mean"], self.attrs["var"]
            runMean *= 1.0 - f
            runMean += f * mean
            runVar *= 1.0 - f
            runVar += f * unbiased
        elif not self._warnedSingle:
            # one value per map (a batch of one): no variance to estimate, so the running
            # statistics are left as they are rather than pulled towards a variance of 0
            self._warnedSingle = True
            if Config.showWarnings:
                Config.getLogger().warning("%s: a training batch with one value per map (data of shape %s) "
                                           "leaves the running mean and variance unchanged", self._label(),
                                           tuple(shape))

    def _fusedForward(self, fused, data, out):
        """The train-mode forward pass as one compiled kernel (Backend/_jit.py): statistics summed in
        float64, out rounded as numpy's passes round it. Returns (mean, var, invstd) in the data's
        dtype, kept dims; the float64 statistics stay for the backward pass."""
        N, C = data.shape[:2]
        flat = (N, C, data.size // (N * C))
        kept = (1, C) + (1,) * self.nd
        plain = gpuarray.kernels.plain
        scale, bias = self._scaleBias()
        if scale is None:
            scale = self._scratch("ones", (C,), data.dtype)
            scale.fill(1)
            bias = self._scratch("zeros", (C,), data.dtype)
            bias.fill(0)
        stats = self._scratch("stats", (3, C), xp.float64)
        fused(C, plain(data).reshape(flat), plain(scale).reshape(C), plain(bias).reshape(C), self.epsilon,
              plain(out).reshape(flat), plain(stats))
        self._stats64 = stats
        return tuple(stats[i].astype(data.dtype).reshape(kept) for i in range(3))

    def _gradSums(self, grad, axes):
        """(sum(g), sum(g * xhat)); after a compiled forward pass by the compiled backward kernel
        (the input gradient too when ``updateGrad`` asks for it: one pass over the data)."""
        if self._sums is None and self._stats64 is not None:
            self._fusedBackward(grad, None)
        return super()._gradSums(grad, axes)

    def _fusedBackward(self, grad, out):
        """sum(g), sum(g * xhat) over every axis but the channels and with ``out`` the input
        gradient, in float64 from the input (xhat taken again), in one compiled kernel; sets
        ``self._sums``."""
        N, C = grad.shape[:2]
        flat = (N, C, grad.size // (N * C))
        kept = (1, C) + (1,) * self.nd
        plain = gpuarray.kernels.plain
        grad = xp.ascontiguousarray(plain(grad))
        x = xp.ascontiguousarray(plain(self.inData))
        fused = gpuarray.kernels.fusedKernel("batchNormBackward", grad, x)  # applies as forward's did
        factor = self._stats64[2]
        if self.affine:
            factor = factor * plain(self.vars["scale"].data).reshape(C)
        sums = self._scratch("sums", (2, C), xp.float64)
        target = plain(out).reshape(flat) if out is not None else x.reshape(flat)  # not written without out
        fused(C, grad.reshape(flat), x.reshape(flat), self._stats64, factor, float(self._count), plain(sums),
              target, out is not None)
        self._sums = (sums[0].astype(grad.dtype).reshape(kept), sums[1].astype(grad.dtype).reshape(kept))

    def updateGrad(self, grad):
        out = self._buffer("grad", grad.shape, grad.dtype)
        if self.train and self._stats64 is not None:
            self._fusedBackward(grad, out)
        elif self.train:
            factor = self._invstd * self.vars["scale"].data if self.affine else self._invstd
            sums = self._gradSums(grad, self._axes)
            comm = self._gridComm
            if comm is not None and comm.size > 1:
                # the input gradient takes the means over every rank's batch; the parameter
                # gradients keep this rank's sums (the optimizer averages them over ranks)
                maps = self.maps
                both = gpuarray.zeros((2 * maps,), sums[0].dtype)
                both[:maps] = sums[0].reshape(maps)
                both[maps:] = sums[1].reshape(maps)
                comm.allreduce(both)
                sums = (both[:maps].reshape(sums[0].shape), both[maps:].reshape(sums[1].shape))
            normalizeBackward(grad, self._xhat, factor, self._axes, sums, out, count=self._count)
        else:
            xp.multiply(grad, self._evalMul, out=out)
        self.grad = out

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        if not self.affine:
            return
        sumG, sumGX = self._gradSums(grad, self._axes)
        self._accAffine(sumG, sumGX, scale, momentum)

    def _extraRepr(self):
        return "%d%s" % (self.maps, "" if self.affine else ", affine=False")


class InstanceNormND(_NormBase):
    """Instance normalisation: each sample's channel normalised over its spatial axes, in train
    and eval mode alike; ``scale`` (ones) and ``bias`` (zeros) per channel when ``affine``."""

    def __init__(self, numOfMaps, epsilon=1e-05, affine=True, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.maps = positiveInt(owner, "numOfMaps", numOfMaps)
        self.epsilon = _positiveReal(owner, "epsilon", epsilon)
        self._setupAffine(self.maps, affine, False, np.ones)
        self._axes = tuple(range(2, self.nd + 2))
        self.savemean = None  # the last call's per-sample statistics (PuzzleLib 1.0's names)
        self.saveinvvar = None

    def updateData(self, data):
        out = self._buffer("data", data.shape, data.dtype)
        xhat = self._buffer("xhat", data.shape, data.dtype)  # per call: kept for backward
        sq = self._scratch("sq", data.shape, data.dtype)
        mean, _, invstd = normalize(data, self._axes, self.epsilon, xhat, sq)
        self._xhat, self._invstd = xhat, invstd
        self.savemean, self.saveinvvar = gpuarray.asDevice(mean), gpuarray.asDevice(invstd)
        scale, bias = self._scaleBias()
        if self.affine:
            xp.multiply(xhat, scale, out=out)
            out += bias
        else:
            xp.copyto(out, xhat)
        self.data = out

    def updateGrad(self, grad):
        out = self._buffer("grad", grad.shape, grad.dtype)
        factor = self._invstd * self.vars["scale"].data if self.affine else self._invstd
        normalizeBackward(grad, self._xhat, factor, self._axes, self._gradSums(grad, self._axes), out)
        self.grad = out

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        if not self.affine:
            return
        sumG, sumGX = self._gradSums(grad, self._axes)
        self._accAffine(sumG.sum(axis=0), sumGX.sum(axis=0), scale, momentum)

    def _extraRepr(self):
        return "%d%s" % (self.maps, "" if self.affine else ", affine=False")
