"""NoiseInjector: add or multiply random noise in train mode (identity in eval mode)."""
import numbers

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._enum import _Choice
from PuzzleLib.Modules._args import blueprintWithoutRng, requireSingle
from PuzzleLib.Modules._validate import choiceArg, ownerName

xp = gpuarray.xp



class InjectMode(_Choice):
    """How NoiseInjector applies its noise: added to the data or multiplied into it.

    Example::

        >>> NoiseInjector(mode=InjectMode.mul, params=(0.9, 1.1)).mode
        'mul'
    """
    add = "add"
    mul = "mul"


class NoiseType(_Choice):
    """The distribution NoiseInjector draws from.

    Example::

        >>> NoiseInjector(noisetype=NoiseType.gaussian, params=(0.0, 0.1)).noisetype
        'gaussian'
    """
    uniform = "uniform"
    gaussian = "gaussian"


modes = tuple(member.value for member in InjectMode)
noisetypes = tuple(member.value for member in NoiseType)


class NoiseInjector(Module):
    """Random noise for regularisation: ``x + noise`` ("add") or ``x * noise`` ("mul").

    Noise is drawn afresh on every forward pass in train mode; in eval mode the module passes its
    input through. Backward: the gradient passes through ("add") or is multiplied by the same
    noise ("mul").

    Parameters
    ----------
    mode : "add" or "mul"
    noisetype : "uniform" (params = (low, high)) or "gaussian" (params = (mean, std))
    params : pair of numbers
    rng : random generator, optional
        Anything with ``uniform(low, high, size)`` and ``normal(mean, std, size)`` (numpy's
        RandomState or Generator, cupy.random); default the backend's global generator.
    inplace : bool
        Overwrite the input instead of a new buffer.
    slicing : slice or tuple of slices, optional
        Inject noise only into ``data[slicing]``.

    Shape
    -----
    any -> the same shape.

    Example::

        >>> noisy = NoiseInjector(mode="mul", noisetype="uniform", params=(0.9, 1.1))
        >>> y = noisy(to_gpu(np.ones((2, 3), np.float32))).get()   # each entry drawn from [0.9, 1.1]
        >>> bool((abs(y - 1) <= 0.1).all())
        True
        >>> noisy.evalMode()
        >>> noisy(to_gpu(np.ones((1, 2), np.float32))).get()
        array([[1., 1.]], dtype=float32)
    """

    def __init__(self, mode="add", noisetype="uniform", params=(0.0, 1.0), rng=None, inplace=False, slicing=None,
                 name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        mode = choiceArg(owner, "mode", mode, modes)
        noisetype = choiceArg(owner, "noisetype", noisetype, noisetypes)
        params = tuple(params) if isinstance(params, (list, tuple)) else params
        if not isinstance(params, tuple) or len(params) != 2 or not all(
                isinstance(p, numbers.Real) and not isinstance(p, bool) for p in params):
            raise ModuleError("%s: params must be a pair of numbers, got %r" % (owner, params))
        if noisetype == "uniform" and not params[0] <= params[1]:
            raise ModuleError("%s: uniform params must be (low, high) with low <= high, got %r" % (owner, params))
        if noisetype == "gaussian" and params[1] < 0:
            raise ModuleError("%s: gaussian params must be (mean, std) with std >= 0, got %r" % (owner, params))
        if slicing is not None and not isinstance(slicing, (slice, tuple)):
            raise ModuleError("%s: slicing must be a slice or a tuple of slices, got %r" % (owner, slicing))
        self.mode, self.noisetype = mode, noisetype
        self.params = (float(params[0]), float(params[1]))
        draw = "uniform" if noisetype == "uniform" else "normal"
        if rng is not None and not callable(getattr(rng, draw, None)):
            raise ModuleError("%s: rng must have a %s(a, b, size) method for %s noise (e.g. np.random), got %r"
                              % (owner, draw, noisetype, rng))
        self.rng = xp.random if rng is None else rng
        self.inplace = bool(inplace)
        self.slicing = slicing
        self.noise = None

    @property
    def rands(self):
        """The noise of the last forward pass in train mode (shaped like ``data[slicing]``), None
        before one or in eval mode; PuzzleLib 1.0's name for it (``noise`` is the same array)."""
        return self.noise

    def checkDataShape(self, shape):
        requireSingle(self, shape)

    def _draw(self, shape, dtype):
        a, b = self.params
        if self.noisetype == "uniform":
            values = self.rng.uniform(a, b, size=shape)
        else:
            values = self.rng.normal(a, b, size=shape)
        return gpuarray.asDevice(xp.asarray(values, dtype=dtype))

    def updateData(self, data):
        if not self.train:
            self.noise = None
            self.data = data
            return
        out = data if self.inplace else self._buffer("data", data.shape, data.dtype)
        if out is not data:
            out[...] = data
        region = out if self.slicing is None else out[self.slicing]
        self.noise = self._draw(region.shape, data.dtype)
        if self.mode == "add":
            region += self.noise
        else:
            region *= self.noise
        self.data = out

    def updateGrad(self, grad):
        if self.noise is None or self.mode == "add":
            self.grad = grad
            return
        out = grad if self.inplace else self._buffer("grad", grad.shape, grad.dtype)
        if out is not grad:
            out[...] = grad
        region = out if self.slicing is None else out[self.slicing]
        region *= self.noise
        self.grad = out

    def getBlueprint(self):
        return blueprintWithoutRng(self)

    def _extraRepr(self):
        return "%s, %s%s" % (self.mode, self.noisetype, self.params)
