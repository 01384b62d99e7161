"""Variable: a trained parameter (device data plus its gradient buffer)."""
from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import VariableError

_plain = gpuarray.kernels.plain


class Variable:
    """A parameter of a module.

    Parameters
    ----------
    data : device array (a host numpy array is copied to the device)
    name : str, optional
    withgrad : bool
        Allocate a gradient buffer (zeros, same shape). No buffer in global eval mode.
    grad : device array, optional
        Use this gradient buffer instead of allocating one.

    Notes
    -----
    Attributes ``learnRate`` and ``momRate`` (1.0) multiply an optimizer's rates for this
    variable; ``wc`` (0.0) is its weight-decay rate.

    Example::

        >>> v = Variable(gpuarray.zeros((3, 4), np.float32), name="W")
        >>> v.grad.shape
        (3, 4)
    """

    # counts assignments of new arrays to any Variable's data or grad, so that an optimizer can
    # tell cheaply when the arrays it was set up on may have been replaced
    _rebinds = 0

    def __init__(self, data, name=None, withgrad=True, grad=None):
        if not hasattr(data, "shape") or not hasattr(data, "dtype"):
            raise VariableError("Variable %r: expected an array, got %s" % (name, type(data).__name__))
        if not gpuarray.isDeviceArray(data) or type(data) is not gpuarray.GPUArray:
            data = gpuarray.to_gpu(data)
        self.data = data
        self.name = name

        if grad is not None:
            if tuple(grad.shape) != tuple(data.shape):
                raise VariableError(
                    "Variable %r: gradient of shape %s given for data of shape %s" % (name, grad.shape, data.shape)
                )
            self.grad = grad
        elif withgrad and not Config.globalEvalMode:
            self.grad = gpuarray.gradArena.zeros(data.shape, data.dtype)
        else:
            self.grad = None

        self.learnRate = 1.0
        self.momRate = 1.0
        self.wc = 0.0
        # True right after an optimizer's zeroGradParams(): the next gradient may be written
        # straight into .grad instead of being added to zeros (see Module._paramGradTarget)
        self._zeroed = False

    # ``data`` and ``grad`` are device arrays; ``_pdata`` / ``_pgrad`` are the same memory as the
    # backend's plain array type, which modules use in their hot paths (no wrapper cost on the CPU)
    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, value):
        if value is not self.__dict__.get("_data"):  # not `var.data += x`, which hands back the same array
            Variable._rebinds += 1
        self._data = value
        self._pdata = _plain(value)

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not self.__dict__.get("_grad"):  # not `var.grad -= x` (a hook's weight decay)
            Variable._rebinds += 1
        self._grad = value
        self._pgrad = None if value is None else _plain(value)
        self._zeroed = False  # an assigned array is not known to hold zeros

    @property
    def hasGrad(self):
        return self.grad is not None

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def set(self, other):
        """Copy the values of another Variable (or array) into this one, in place."""
        data = other.data if isinstance(other, Variable) else other
        if tuple(data.shape) != tuple(self.data.shape):
            raise VariableError(
                "Variable %r: cannot set data of shape %s into shape %s" % (self.name, data.shape, self.data.shape)
            )
        src = data.get() if hasattr(data, "get") and gpuarray.isGPU else data
        dtype = self.data.dtype
        if src.dtype != dtype:  # CuPy's set takes only its own dtype: cast here, as numpy's copy would
            if not gpuarray.xp.can_cast(src.dtype, dtype, "same_kind"):
                raise VariableError("Variable %r: cannot set data of dtype %s into dtype %s" % (self.name, src.dtype, dtype))
            src = src.astype(dtype)
        self.data.set(src)

    def __str__(self):
        return "Variable(name=%r, shape=%s, dtype=%s, grad=%s)" % (
            self.name, tuple(self.data.shape), self.data.dtype, self.hasGrad
        )

    __repr__ = __str__
