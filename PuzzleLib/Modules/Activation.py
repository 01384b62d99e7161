"""Activation: an elementwise nonlinearity (sigmoid, tanh, relu, leakyRelu, elu, softPlus, clip)."""
from functools import partial
import numbers

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._enum import _Choice
from PuzzleLib.Modules._validate import ownerName



class ActivationType(_Choice):
    """The activations ``Activation`` computes; each member equals its string (``relu == "relu"``).

    Example::

        >>> ActivationType.relu == "relu", ActivationType("elu") is elu
        (True, True)
    """
    sigmoid = "sigmoid"
    tanh = "tanh"
    relu = "relu"
    leakyRelu = "leakyRelu"
    elu = "elu"
    softPlus = "softPlus"
    clip = "clip"


sigmoid = ActivationType.sigmoid
tanh = ActivationType.tanh
relu = ActivationType.relu
leakyRelu = ActivationType.leakyRelu
elu = ActivationType.elu
softPlus = ActivationType.softPlus
clip = ActivationType.clip

activations = tuple(member.value for member in ActivationType)

_defaultArgs = {
    "sigmoid": (),
    "tanh": (),
    "relu": (),
    "leakyRelu": (0.01,),
    "elu": (1.0,),
    "softPlus": (),
    "clip": (0.0, 6.0),
}

_kernels = gpuarray.kernels.activationKernels
_plain = gpuarray.kernels.plain


def _tempSpec(kernel):
    """What temporary a backend kernel takes: None (none), 0 (one shaped like its output) or k (k
    boolean masks shaped like its output, stacked)."""
    masks = getattr(kernel, "masks", 0)
    if masks:
        return masks
    return 0 if getattr(kernel, "needsTmp", False) else None


class Activation(Module):
    """An elementwise activation; derivatives are computed from the output.

    Parameters
    ----------
    activation : ActivationType or str
        One of ``sigmoid, tanh, relu, leakyRelu, elu, softPlus, clip`` (constants in this module and
        in ``PuzzleLib.Modules``, members of ``ActivationType``; the plain strings work too).
    slc : slice or tuple of slices, optional
        Apply the activation only to ``data[slc]``; the rest passes through unchanged.
    inplace : bool
        Overwrite the input (and, in backward, the incoming gradient) instead of new buffers.
    args : tuple
        Parameters of the activation: leakyRelu slope (0.01), elu alpha (1.0), clip range (0, 6).

    Shape
    -----
    any -> the same shape.

    Example::

        >>> from PuzzleLib.Modules.Activation import relu
        >>> Activation(relu)(to_gpu(np.array([[-1.0, 2.0]], np.float32))).get()
        array([[0., 2.]], dtype=float32)
    """

    def __init__(self, activation, slc=None, inplace=False, name=None, args=()):
        super().__init__(name)
        owner = ownerName(type(self), name)
        activation = getattr(activation, "value", activation)
        if activation not in activations:
            raise ModuleError("%s: unknown activation %r; expected one of %s" % (owner, activation, ", ".join(activations)))
        self.activation = activation

        default = _defaultArgs[activation]
        if args is not None and not isinstance(args, (tuple, list)):
            raise ModuleError("%s: args must be a tuple of numbers, got %r" % (owner, args))
        args = tuple(args) if args is not None else ()
        if not args:
            args = default
        if len(args) != len(default) or not all(isinstance(a, numbers.Real) for a in args):
            raise ModuleError("%s: %s takes %d numeric argument(s) %s, got %r" % (owner, activation, len(default), default, args))
        if activation == clip and not args[0] < args[1]:
            raise ModuleError("%s: clip range must have low < high, got %r" % (owner, args))
        if activation in (leakyRelu, elu) and args[0] < 0:
            # the derivative is read from the output's sign, which a negative slope/alpha makes ambiguous
            raise ModuleError("%s: %s needs a non-negative %s, got %r" % (
                owner, activation, "slope" if activation == leakyRelu else "alpha", args[0]))
        self.actArgs = tuple(float(a) for a in args)

        if slc is not None and (not isinstance(slc, (slice, tuple)) or
                                (isinstance(slc, tuple) and not all(isinstance(s, slice) for s in slc))):
            raise ModuleError("%s: slc must be a slice or a tuple of slices, got %r" % (owner, slc))
        self.slc = slc
        self.inplace = bool(inplace)
        self._fwd, self._bwd = _kernels[activation]
        # kernels that need a temporary get a reused one (see Backend/_cpu.py)
        self._fwdTmp = _tempSpec(self._fwd)
        self._bwdTmp = _tempSpec(self._bwd)
        self._y = None

    def updateData(self, data):
        if self.inplace:
            out, o = data, _plain(data)
        else:
            out, o = (self._reuse and self._outBufs.get(("data", data.shape, data.dtype))) or \
                self._bufferPair("data", data.shape, data.dtype)
        x = _plain(data)
        self._y = o
        xs = x if self.slc is None else x[self.slc]
        tmp = None if self._fwdTmp is None else self._kernelTemp(self._fwdTmp, xs)
        if self.slc is None:
            self._fwd(x, x if self.inplace else o, self.actArgs, tmp)
        elif self.inplace:
            self._fwd(xs, xs, self.actArgs, tmp)
        else:
            o[...] = x
            self._fwd(xs, o[self.slc], self.actArgs, tmp)
        self.data = out

    def updateGrad(self, grad):
        if self.inplace:
            out, o = grad, _plain(grad)
        else:
            out, o = (self._reuse and self._outBufs.get(("grad", grad.shape, grad.dtype))) or \
                self._bufferPair("grad", grad.shape, grad.dtype)
        g = _plain(grad)
        y = self._y  # the plain view of self.data, kept by updateData
        gs = g if self.slc is None else g[self.slc]
        tmp = None if self._bwdTmp is None else self._kernelTemp(self._bwdTmp, gs)
        if self.slc is None:
            self._bwd(g, y, g if self.inplace else o, self.actArgs, tmp)
        elif self.inplace:
            self._bwd(gs, y[self.slc], gs, self.actArgs, tmp)  # one object: kernels see the aliasing
        else:
            o[...] = g
            self._bwd(gs, y[self.slc], o[self.slc], self.actArgs, tmp)
        self.grad = out

    def checkDataShape(self, shape):
        if isinstance(shape, list):  # a list of arrays (Module._checkInputList passes their shapes)
            raise self._error("expected one device array, got a list of %d" % len(shape))
        if isinstance(self.slc, tuple) and len(self.slc) > len(shape):
            raise self._error("slc %r indexes %d axes, got %d-d data of shape %s" % (
                self.slc, len(self.slc), len(shape), tuple(shape)))

    def _planStep(self, x, needInputGrad, ownsInput):
        """The kernels of updateData and updateGrad with every array bound (see Module)."""
        if callable(x):
            return super()._planStep(x, needInputGrad, ownsInput)
        if not self._runsContractOf(Activation) or self.slc is not None or (self.inplace and not ownsInput):
            return None
        y = x if self.inplace else self._bufferPair("data", x.shape, x.dtype)[1]
        tmp = None if self._fwdTmp is None else self._kernelTemp(self._fwdTmp, x)
        forward = [partial(self._fwd, x, y, self.actArgs, tmp)]

        def planBackward(grad):
            if not needInputGrad:
                return [], None, []
            out = grad if self.inplace else self._bufferPair("grad", grad.shape, grad.dtype)[1]
            tmp = None if self._bwdTmp is None else self._kernelTemp(self._bwdTmp, grad)
            return [partial(self._bwd, grad, y, out, self.actArgs, tmp)], out, []

        return forward, y, planBackward

    def _kernelTemp(self, spec, like):
        """The reused temporary a kernel asks for (see ``_tempSpec``), or None."""
        if spec is None:
            return None
        if spec == 0:
            return self._scratch("tmp", like.shape, like.dtype)
        return self._scratch("masks", (spec,) + like.shape, gpuarray.xp.bool_)

    def getBlueprint(self):
        bp = super().getBlueprint()
        bp["scheme"]["activation"] = self.activation
        return bp

    def _extraRepr(self):
        extra = self.activation
        if self.actArgs:
            extra += ", args=%s" % (self.actArgs,)
        if self.inplace:
            extra += ", inplace"
        return extra
