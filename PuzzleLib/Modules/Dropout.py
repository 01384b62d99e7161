"""Dropout: zero a random fraction p of the values in train mode (scaled so the mean is kept)."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import blueprintWithoutRng, requireSingle
from PuzzleLib.Modules._validate import ownerName, realNumber

xp = gpuarray.xp


class Dropout(Module):
    """Inverted dropout: in train mode each value is zeroed with probability ``p`` and the rest
    are multiplied by ``1 / (1 - p)``; in eval mode the module is the identity.

    Parameters
    ----------
    p : float
        Drop rate, in [0, 1).
    rng : random generator, optional
        Anything with ``random(size)`` (``np.random``, a ``RandomState``, a ``Generator``, or
        ``cupy.random``); draws a host generator returns are copied to the device. Default: the
        backend's global generator (``gpuarray.xp.random``), so ``gpuarray.xp.random.seed``
        (``np.random.seed`` on the CPU) makes the masks reproducible.
    slicing : slice or tuple of slices, optional
        Drop only within ``data[slicing]``; the rest passes through unchanged.
    inplace : bool
        Write the output over the input (and the input gradient over the incoming gradient).

    Shape
    -----
    any -> the same. The mask of the last forward pass is kept in ``mask`` (None in eval mode),
    and the uniform draws it came from in ``rands`` (flat; a value is kept where
    ``rands < partition``, ``partition = 1 - p``), as PuzzleLib 1.0 exposes them.

    Example::

        >>> drop = Dropout(p=0.5)
        >>> y = drop(to_gpu(np.ones((2, 4), np.float32)))
        >>> set(y.get().ravel().tolist()) <= {0.0, 2.0}   # dropped, or scaled by 1 / (1 - p)
        True
        >>> drop.evalMode(); drop(to_gpu(np.ones((1, 2), np.float32))).get()
        array([[1., 1.]], dtype=float32)

    Srivastava et al., 2014, http://jmlr.org/papers/v15/srivastava14a.html
    """

    def __init__(self, p=0.5, rng=None, slicing=None, inplace=False, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        p = realNumber(owner, "p", p)
        if not 0.0 <= p < 1.0:
            raise ModuleError("%s: p (the drop rate) must be in [0, 1), got %r" % (owner, p))
        self.p = p
        self.partition = 1.0 - p
        if rng is not None and not callable(getattr(rng, "random", None)):
            raise ModuleError("%s: rng must have a random(size) method (e.g. np.random), got %r" % (owner, rng))
        self.rng = rng
        if slicing is not None and not isinstance(slicing, (slice, tuple)):
            raise ModuleError("%s: slicing must be a slice or a tuple of slices, got %r" % (owner, slicing))
        self.slicing = slicing
        self.inplace = bool(inplace)
        self.mask = None
        self.rands = None

    def _maskShape(self, shape):
        return shape

    def _drawMask(self, shape, dtype):
        rng = self.rng if self.rng is not None else xp.random
        draws = rng.random(self._maskShape(shape))
        if not gpuarray.isDeviceArray(draws):  # a host generator (np.random on the cuda backend)
            draws = gpuarray.asDevice(draws)
        self.rands = gpuarray.asDevice(draws.ravel())
        keep = draws < self.partition
        mask = keep.astype(dtype)
        mask *= 1.0 / (1.0 - self.p)
        return mask

    def _apply(self, src, mask, key):
        out = src if self.inplace else self._buffer(key, src.shape, src.dtype)
        if self.slicing is None:
            xp.multiply(src, mask, out=out)
        else:
            if out is not src:
                out[...] = src
            out[self.slicing] *= mask
        return out

    def updateData(self, data):
        if not self.train or self.p == 0.0:
            self.mask = None
            self.rands = None
            self.data = data
            return
        region = data if self.slicing is None else data[self.slicing]
        self.mask = self._drawMask(region.shape, data.dtype)
        self.data = self._apply(data, self.mask, "data")

    def updateGrad(self, grad):
        if self.mask is None:
            self.grad = grad
            return
        self.grad = self._apply(grad, self.mask, "grad")

    def checkDataShape(self, shape):
        requireSingle(self, shape)

    # what reset clears, the next forward pass sets again (see Handler: no reset between batches)
    _resetClearsOnlyCaches = True

    def reset(self):
        super().reset()
        self.mask = None
        self.rands = None

    def getBlueprint(self):
        return blueprintWithoutRng(self)

    def _extraRepr(self):
        return "p=%g%s" % (self.p, ", inplace" if self.inplace else "")
