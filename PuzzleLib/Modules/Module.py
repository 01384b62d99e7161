"""Module: the base of every layer, and the conventions every layer follows.

A layer overrides a small contract:

- ``updateData(data)``: compute ``self.data`` from the input;
- ``updateGrad(grad)``: compute ``self.grad``, the gradient with respect to the input;
- ``accGradParams(grad, scale, momentum)``: fill each parameter's ``.grad`` with
  ``scale * new + momentum * old``;
- ``dataShapeFrom(shape)`` / ``gradShapeFrom(shape)``: output / input-gradient shapes;
- ``checkDataShape(shape)`` / ``checkDataType(dtype)`` (and the grad versions): refuse bad input
  with a :class:`ModuleError` that names the module, what it expected and what it was given.

Multi-input modules (Add, Concat, ...) take a list of arrays: ``checkDataType`` is called once per
array and ``checkDataShape`` once with the list of shapes. Multi-output modules (Split, Replicate)
return a list, and their ``backward`` takes a list of gradients the same way.

.. note:: **Gradient sign.** Costs hand back the *negative* gradient of the error with respect to
   the prediction (MSE gives ``(target - pred) / N``), modules propagate it linearly, and optimizers
   *add* parameter gradients (``W += lr * W.grad``). So ``.grad`` holds a descent direction, the
   opposite sign to PyTorch's ``.grad``. A custom module that follows the chain rule is correct
   either way; what must agree is the cost, the optimizer and any hook that reads gradients.

.. note:: ``Module.backward`` defaults to ``momentum=0.0`` (parameter gradients are overwritten);
   containers default to ``momentum=1.0`` (they accumulate until the optimizer's
   ``zeroGradParams()``), unlike PyTorch, where every backward accumulates.
"""
import inspect
import math
import numbers

from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules._validate import typeName
from PuzzleLib.Variable import Variable

__all__ = ["Module", "ModuleError"]


_UNCHECKED = ("unchecked",)

# the methods a planned step stands in for (see Module._planStep)
_CONTRACT = ("__call__", "backward", "updateData", "updateGrad", "accGradParams", "reset")


class _ModuleMeta(type):
    """Records the constructor arguments of every module, for blueprints (see ``getBlueprint``)."""

    def __init__(cls, name, bases, namespace, **kwargs):
        super().__init__(name, bases, namespace, **kwargs)
        # The library's accGradParams go through _paramGradTarget/_accumulateParamGrad, which honour
        # and clear Variable._zeroed; one written elsewhere (a user's module following the contract)
        # does not know the flag, so backward clears it after that module has added its part.
        owner = next(k for k in cls.__mro__ if "accGradParams" in k.__dict__)
        cls._honoursZeroed = owner.__module__.startswith("PuzzleLib.")
        # Calling a module class goes through this metaclass's __call__(*args, **kwargs); the class's
        # own signature is its __init__'s, which help(), IDEs and the API reference should show.
        try:
            signature = inspect.signature(cls.__init__)
            cls.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])
        except (TypeError, ValueError):
            pass

    def __call__(cls, *args, **kwargs):
        obj = super().__call__(*args, **kwargs)
        if obj.__dict__.get("_scheme") is None:
            obj._scheme = _bindScheme(cls, args, kwargs)
        return obj


_signatures = {}


def _bindScheme(cls, args, kwargs):
    sig = _signatures.get(cls)
    if sig is None:
        sig = inspect.signature(cls.__init__)
        _signatures[cls] = sig
    try:
        bound = sig.bind(None, *args, **kwargs)
    except TypeError:
        return {}
    bound.apply_defaults()
    scheme = dict(bound.arguments)
    scheme.pop("self", None)
    for pname, param in sig.parameters.items():
        if param.kind is inspect.Parameter.VAR_KEYWORD and pname in scheme:
            scheme.update(scheme.pop(pname))
        elif param.kind is inspect.Parameter.VAR_POSITIONAL and pname in scheme:
            scheme[pname] = list(scheme[pname])
    return scheme


class Module(metaclass=_ModuleMeta):
    """Base class of all layers.

    Parameters
    ----------
    name : str, optional
        The module's name; containers name unnamed modules by position ("0", "1", ...).

    Notes
    -----
    State: ``vars`` (trained Variables by name), ``attrs`` (other state, e.g. running means),
    ``train`` (mode), ``inData`` / ``data`` / ``grad`` (the last input, output, input gradient).

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(3, 2)
        >>> out = lin(to_gpu(np.ones((4, 3), dtype=np.float32)))
        >>> out.shape, lin.backward(to_gpu(np.ones((4, 2), dtype=np.float32))).shape
        ((4, 2), (4, 3))
    """

    _scheme = None

    def __init__(self, name=None):
        if name is not None and not isinstance(name, str):
            raise ModuleError("%s: name must be a string or None, got %r" % (type(self).__name__, name))
        self.name = name
        self.vars = {}
        self.attrs = {}
        self.train = not Config.globalEvalMode
        self.calctype = gpuarray.xp.float32

        self.inData = None
        self.data = None
        self.grad = None

        self._reuse = False
        self._bufs = {}
        self._outBufs = {}
        self._inKey = None
        # shape and dtype of the last single-array input that passed the checks (never a real shape)
        self._inShape = self._inDtype = _UNCHECKED

    # ---- attribute access to vars and attrs: mod.W, mod.b, mod.mean ----
    def __getattr__(self, item):
        d = self.__dict__
        mvars = d.get("vars")
        if mvars is not None and item in mvars:
            return mvars[item].data
        attrs = d.get("attrs")
        if attrs is not None and item in attrs:
            return attrs[item]
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, item))

    # ---- naming and errors ----
    def _label(self):
        if self.name is None:
            return type(self).__name__
        return "%s '%s'" % (type(self).__name__, self.name)

    def _error(self, message, cls=ModuleError):
        return cls("%s: %s" % (self._label(), message))

    # ---- forward / backward ----
    def __call__(self, data):
        if not Config.disableDtypeShapeChecks:
            # the common case first: the same shape and dtype as last time, already checked
            if getattr(data, "shape", None) != self._inShape or data.dtype != self._inDtype:
                self._checkInput(data)
        prev = self.inData
        self.inData = data
        try:
            self.updateData(data)
        except BaseException:
            # a call refused inside updateData (a word index out of range, a pool's mask of another
            # shape) leaves the module as it was: the next backward still pairs with the last output
            self.inData = prev
            raise
        return self.data

    def _checkInput(self, data):
        try:
            key = (data.shape, data.dtype)
        except AttributeError:
            if isinstance(data, (list, tuple)):
                self._checkInputList(data)
                return
            raise self._error("expected a device array (to_gpu(ndarray)), got %s" % typeName(data)) from None
        if key != self._inKey:
            self.checkDataType(data.dtype)
            self.checkDataShape(data.shape)
            self._inKey = key
            self._inShape, self._inDtype = key

    def _checkInputList(self, data):
        """Checks for a list of inputs (Add, Concat, ...): each dtype, then the list of shapes."""
        if len(data) == 0:
            raise self._error("expected a device array or a non-empty list of them, got an empty %s" % type(data).__name__)
        try:
            key = tuple((d.shape, d.dtype) for d in data)
        except AttributeError:
            raise self._error("expected a list of device arrays (to_gpu(ndarray)), got a list of %s" % (
                ", ".join(typeName(d) for d in data))) from None
        if key != self._inKey:
            for d in data:
                self.checkDataType(d.dtype)
            self.checkDataShape([tuple(d.shape) for d in data])
            self._inKey = key

    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=0.0):
        """Propagate ``grad`` (a descent direction for the output) back through the module.

        Computes ``self.grad`` when ``updGrad``; when ``updParamGrads`` and in train mode, sets
        each parameter's ``.grad`` to ``scale * new + momentum * old``. Returns ``self.grad``.
        """
        if not Config.disableDtypeShapeChecks:
            out = self.data
            if getattr(grad, "shape", None) != getattr(out, "shape", 0) or grad.dtype != out.dtype:
                self._checkGradInput(grad)
        if updGrad:
            self.updateGrad(grad)
        else:
            self.grad = None
        if updParamGrads and self.train:
            try:
                self.accGradParams(grad, scale, momentum)
            except AttributeError:
                # most layers' accGradParams take a gradient buffer for granted: say why there is none
                missing = sorted(n for n, v in self.vars.items() if v.grad is None)
                if not missing:
                    raise
                raise self._error(
                    "cannot train: parameter(s) %s have no gradient buffer (made under "
                    "Config.globalEvalMode or with Variable(withgrad=False)); build the module with "
                    "Config.globalEvalMode = False to train it" % ", ".join(repr(n) for n in missing)) from None
            if not self._honoursZeroed:
                for var in self.vars.values():
                    var._zeroed = False
        return self.grad

    def _checkGradInput(self, grad):
        if self.data is None:
            raise self._error("backward called before a forward pass (no output to take a gradient of)")
        try:
            shape, dtype = grad.shape, grad.dtype
        except AttributeError:
            if isinstance(grad, (list, tuple)):
                self._checkGradList(grad)
                return
            raise self._error("expected a device array as gradient, got %s" % typeName(grad)) from None
        out = self.data
        if shape == getattr(out, "shape", None) and dtype == out.dtype:
            return  # the output's own shape and dtype: valid for any single-output module
        self.checkGradType(dtype)
        self.checkGradShape(shape)

    def _checkGradList(self, grad):
        """Checks for a list of output gradients (Split, Replicate): each dtype, then the shapes."""
        if not isinstance(self.data, (list, tuple)):
            raise self._error("expected one gradient array (the module has one output), got a list of %d" % len(grad))
        try:
            shapes = [tuple(g.shape) for g in grad]
            dtypes = [g.dtype for g in grad]
        except AttributeError:
            raise self._error("expected a list of device arrays as gradient, got a list of %s" % (
                ", ".join(typeName(g) for g in grad))) from None
        for dtype in dtypes:
            self.checkGradType(dtype)
        self.checkGradShape(shapes)

    def updateData(self, data):
        raise NotImplementedError("%s does not implement updateData" % type(self).__name__)

    def updateGrad(self, grad):
        raise NotImplementedError("%s does not implement updateGrad" % type(self).__name__)

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        pass

    def _paramGradTarget(self, var, key, scale, momentum):
        """Where to write a new gradient of ``var``: ``var.grad`` itself when its old value does
        not count (momentum 0, or freshly zeroed by the optimizer) and scale is 1; otherwise a
        scratch buffer, to be folded in with ``_accumulateParamGrad``. Returns (array, mustFold)."""
        if scale == 1.0 and (momentum == 0.0 or var._zeroed):
            var._zeroed = False
            return var._pgrad, False
        return self._scratch(key, var.grad.shape, var.grad.dtype), True

    @staticmethod
    def _accumulateParamGrad(var, new, scale, momentum):
        """var.grad = scale * new + momentum * var.grad (``new`` may be clobbered)."""
        gpuarray.kernels.accumulate(var._pgrad, new, scale, 0.0 if var._zeroed else momentum)
        var._zeroed = False

    def zeroGradParams(self):
        """Set the gradients of the parameters to zero (every parameter inside, for a container).

        What an optimizer's ``zeroGradParams()`` does for the net it was set up on; the next
        backward then writes the gradients instead of adding to them.
        """
        for var in self.getVarTable():
            if var.grad is not None:
                var.grad.fill(0)
                var._zeroed = True

    def updateParams(self, learnRate):
        """Plain SGD on the parameters (every parameter inside, for a container):
        ``W += learnRate * W.learnRate * W.grad`` (the gradients are descent directions)."""
        if isinstance(learnRate, bool) or not isinstance(learnRate, numbers.Real) or not math.isfinite(learnRate):
            raise self._error("updateParams: learnRate must be a finite number, got %r" % (learnRate,))
        for var in self.getVarTable():
            if var.grad is not None:
                gpuarray.kernels.sgdUpdate(var.data, var.grad, learnRate * var.learnRate)

    def optimizeForShape(self, shape, memlimit=None):
        """Get ready for input of ``shape`` (a list of shapes for a module taking several), as
        PuzzleLib 1.0 programs call it before the first batch. There is nothing to prepare here (no
        per-shape algorithm search); the shape is checked and the output shape worked out from it,
        so a wrong one is refused before any data flows. ``memlimit`` is accepted and unused.
        """
        if not Config.disableDtypeShapeChecks:
            self.checkDataShape(shape)
        return self.dataShapeFrom(shape)

    def optimizeStep(self, learnRate):
        self.updateParams(learnRate)

    # ---- captured training steps (see PuzzleLib/Handlers/_plan.py) ----
    def _planStep(self, x, needInputGrad, ownsInput):
        """Plan one training step through this module, for a Trainer that replays it batch after batch.

        A plan comes in one of two kinds, chosen by what ``x`` is:

        - *bound*: ``x`` is an array of the backend's plain type that keeps its place in memory
          from batch to batch (its values change), and the plan is the module's kernels with every
          array bound: no Python around them. Only modules that know their own kernels (Linear,
          Activation, Sequential) plan this kind; the base class returns None.
        - *calls*: ``x`` is a zero-argument callable returning the current input (a device array),
          and the plan calls the module's own ``__call__`` and ``backward``, without the container,
          cost, optimizer and handler layers around them. Every library module plans this kind
          (here, in the base class; see ``_planCalls`` for what keeps one from it).

        ``ownsInput`` says whether the module may write into its input (an in-place module may,
        unless the input is where the batch arrives).

        Returns ``(forwardOps, out, planBackward)``: ``forwardOps`` are zero-argument callables
        doing the forward pass, ``out`` is the output (a plain array for a bound plan, a callable
        returning the device array for a calls plan), and ``planBackward(grad)`` (grad in the same
        kind) returns ``(backwardOps, inputGrad, variables)`` or None: what ``backward(grad,
        updGrad=needInputGrad)`` does right after ``zeroGradParams()``, the input gradient (None
        unless ``needInputGrad``) and the Variables whose gradients it writes whole. Returns None
        when the module can't be planned; the Trainer then runs every batch the usual way.
        """
        if not callable(x):
            return None
        return _planCalls(self, x, needInputGrad, ownsInput)

    def _runsContractOf(self, cls):
        """True when this module's forward and backward are ``cls``'s own, so that a plan written
        for ``cls`` does what the module does (a subclass overriding any of them is not planned)."""
        mine = type(self)
        return all(getattr(mine, method) is getattr(cls, method) for method in _CONTRACT)

    # ---- checks (override to accept other shapes/dtypes) ----
    def checkDataType(self, dtype):
        if dtype != self.calctype:
            raise self._error(
                "expected data of dtype %s, got %s" % (gpuarray.xp.dtype(self.calctype).name, gpuarray.xp.dtype(dtype).name)
            )

    def checkGradType(self, dtype):
        data = self.data
        if data is None:
            expected = self.calctype
        else:
            try:
                expected = data.dtype
            except AttributeError:  # a list of outputs (Split, Replicate): they share one dtype
                expected = data[0].dtype
        if dtype != expected:
            raise self._error(
                "expected gradient of dtype %s, got %s" % (gpuarray.xp.dtype(expected).name, gpuarray.xp.dtype(dtype).name)
            )

    def checkDataShape(self, shape):
        pass

    def checkGradShape(self, shape):
        data = self.data
        if data is None:
            return
        try:
            expected = data.shape
        except AttributeError:  # a list of outputs: `shape` is the list of gradient shapes
            expected = [tuple(d.shape) for d in data]
            got = [tuple(s) for s in shape] if isinstance(shape, list) else shape
            if got != expected:
                raise self._error("expected gradients of shapes %s (the outputs'), got %s" % (expected, got)) from None
            return
        if tuple(shape) != tuple(expected):
            raise self._error("expected gradient of shape %s (the output's), got %s" % (tuple(expected), tuple(shape)))

    def dataShapeFrom(self, shape):
        return shape

    def gradShapeFrom(self, shape):
        return shape

    # ---- modes ----
    def trainMode(self):
        self.train = True
        self.reset()

    def evalMode(self):
        self.train = False
        self.reset()

    def reset(self):
        self.inData = None
        self.data = None
        self.grad = None

    def _setReuse(self, reuse):
        """Let the module reuse its output buffers from call to call (handlers switch this on)."""
        self._reuse = reuse

    def _buffer(self, key, shape, dtype):
        """An output buffer (for ``data`` or ``grad``), a device array.

        While a handler drives the module (``_reuse``), the buffer is reused from call to call
        (handlers reset the module after each batch, so nobody keeps it); otherwise it is new.
        """
        return self._bufferPair(key, shape, dtype)[0]

    def _bufferPair(self, key, shape, dtype):
        """(device array, the same memory as the backend's plain array type): the output buffer of
        ``_buffer`` plus a view for the module's own math, which is cheaper on the CPU backend.

        The hottest modules (Linear, Activation) look a reused pair up in ``_outBufs`` themselves
        first (``self._reuse and self._outBufs.get((key, shape, dtype))``), saving a call per step."""
        if not self._reuse:
            out = gpuarray.empty(shape, dtype)
            return out, gpuarray.kernels.plain(out)
        k = (key, shape, dtype)
        pair = self._outBufs.get(k)
        if pair is None:
            out = gpuarray.empty(shape, dtype)
            pair = (out, gpuarray.kernels.plain(out))
            self._outBufs[k] = pair
        return pair

    def _scratch(self, key, shape, dtype):
        """A private temporary of the backend's plain array type, always reused (one per key,
        shape and dtype)."""
        k = (key, shape, dtype)
        buf = self._bufs.get(k)
        if buf is None:
            buf = gpuarray.kernels.plain(gpuarray.empty(shape, dtype))
            self._bufs[k] = buf
        return buf

    # ---- variables and attributes ----
    def setVar(self, name, var):
        if not isinstance(var, Variable):
            raise self._error("setVar(%r): expected a Variable, got %s" % (name, type(var).__name__))
        old = self.vars.get(name)
        if old is not None and (old.data.shape != var.data.shape or old.data.dtype != var.data.dtype):
            # the module's computation is fixed by its constructor: a replacement of another shape
            # (a PyTorch-layout (out, in) weight, say) would fail later, deep inside a product
            raise self._error("setVar(%r): expected %s %s like the variable it replaces, got %s %s" % (
                name, tuple(old.data.shape), old.data.dtype, tuple(var.data.shape), var.data.dtype))
        if var.name is None:
            var.name = name
        self.vars[name] = var

    def getVar(self, name):
        try:
            return self.vars[name]
        except KeyError:
            raise self._error("no variable %r (has %s)" % (name, sorted(self.vars))) from None

    def setAttr(self, name, attr):
        self.attrs[name] = attr

    def getAttr(self, name):
        try:
            return self.attrs[name]
        except KeyError:
            raise self._error("no attribute %r (has %s)" % (name, sorted(self.attrs))) from None

    def hasVar(self, name):
        return name in self.vars

    def getVarTable(self, vartable=None, name=None, root=True):
        """Map each distinct Variable to the list of its dotted names ("W", or "0.W" in a container)."""
        if vartable is None:
            vartable = {}
        prefix = "" if root or not name else name + "."
        for pname, var in self.vars.items():
            vartable.setdefault(var, []).append(prefix + pname)
        return vartable

    def numOfParams(self):
        return int(sum(var.data.size for var in self.getVarTable()))

    def paramSize(self, unit=None):
        nbytes = sum(var.data.nbytes for var in self.getVarTable())
        divisors = {None: 1, "b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3}
        if unit not in divisors:
            raise self._error("paramSize: unit must be one of None, 'b', 'kb', 'mb', 'gb'; got %r" % (unit,))
        return nbytes if divisors[unit] == 1 else nbytes / divisors[unit]

    def calcMode(self, dtype):
        """Compute in ``dtype`` (one of ``gpuarray.dtypesSupported()``); converts the parameters.

        Call it before ``optimizer.setupOn``.
        """
        try:
            given = gpuarray.xp.dtype(dtype).name
        except TypeError:  # not a dtype at all, e.g. calcMode("half16")
            given = None
        if given is None or not gpuarray.isDtypeSupported(dtype):
            supported = ", ".join(gpuarray.xp.dtype(d).name for d, _ in gpuarray.dtypesSupported())
            raise self._error("calcMode: dtype %s is not supported by the %s backend (supported: %s)" % (
                given or repr(dtype), gpuarray.backendName, supported))
        dtype = gpuarray.xp.dtype(dtype).type
        for var in self.vars.values():
            var.data = var.data.astype(dtype)
            if var.grad is not None:
                var.grad = var.grad.astype(dtype)
        for aname, attr in self.attrs.items():
            if hasattr(attr, "dtype") and gpuarray.xp.dtype(attr.dtype).kind == "f":
                self.attrs[aname] = attr.astype(dtype)
        self.calctype = dtype
        self._inKey = None
        self._inShape = self._inDtype = _UNCHECKED
        self._bufs.clear()
        self._outBufs.clear()
        self.reset()

    # ---- files and blueprints ----
    def save(self, hdf=None, varlinks=None, name=None, compress="gzip", assumeUniqueNames=False,
             withBlueprint=False, isRoot=True):
        """Write the parameters (and, with ``withBlueprint``, the JSON blueprint) to an HDF5 file.

        ``hdf`` is a path, an open ``h5py`` file/group, or None to get the file's bytes back. A path
        is written to a temporary file in the same folder and renamed over the target. With
        ``assumeUniqueNames`` every parameter is stored as "<root name>.<module name>.<param>"
        whatever containers hold the module, the layout of PuzzleLib 1.0's converted model files.
        """
        from PuzzleLib import Serialization
        return Serialization.saveModule(self, hdf, compress=compress, withBlueprint=withBlueprint,
                                        assumeUniqueNames=assumeUniqueNames)

    def load(self, hdf, initvars=None, name=None, assumeUniqueNames=False):
        """Read parameters from a file written by ``save`` (a path, bytes, or an open h5py file).

        Every stored array is checked against the variable it goes into before any is changed.
        ``assumeUniqueNames`` reads the "<root name>.<module name>.<param>" layout (see ``save``).
        """
        from PuzzleLib import Serialization
        Serialization.loadModule(self, hdf, assumeUniqueNames=assumeUniqueNames)
        return self

    def _walk(self, path):
        """Yield (module path, module, isContainer) for this module and everything inside."""
        yield path, self, False

    def node(self, *parents):
        """Place this module in a Graph, fed by ``parents`` (nodes, or (node, slot) pairs)."""
        from PuzzleLib.Containers.Node import Node
        return Node(self, parents)

    def getBlueprint(self):
        from PuzzleLib import Serialization
        return {"classname": type(self).__name__, "scheme": Serialization.jsonable(self._scheme or {}, self._label())}

    # ---- printing ----
    def _extraRepr(self):
        return ""

    def __str__(self):
        extra = self._extraRepr()
        parts = []
        if self.name is not None:
            parts.append("name=%r" % self.name)
        if extra:
            parts.append(extra)
        return "%s(%s)" % (type(self).__name__, ", ".join(parts))

    __repr__ = __str__


def _planCalls(mod, getInput, needInputGrad, ownsInput):
    """The *calls* plan of a library module (see ``Module._planStep``), or None.

    It calls the module's own ``__call__`` and ``backward`` (their checks pass at once: the shapes
    are those of the batch that ran the usual way) with ``momentum=0``, which writes each parameter
    gradient whole, as after ``zeroGradParams()``. A module made of modules (Graph, Parallel) is
    planned so as a whole unless a Variable is shared by two of its modules (its gradient is a sum
    that momentum 0 would cut short) or, when it is given the batch itself, any module inside
    works in place.
    """
    from PuzzleLib.Modules._composite import _Composite
    if not type(mod).__module__.startswith("PuzzleLib."):
        return None
    inner = [m for _, m, _ in mod._walk("")]
    if not ownsInput and any(getattr(m, "inplace", False) for m in inner):
        return None  # it would write into the batch itself
    if isinstance(mod, _Composite) and any(len(names) > 1 for names in mod.getVarTable().values()):
        return None

    def forward():
        mod(getInput())

    def getOutput():
        return mod.data

    def planBackward(getGrad):
        variables = [var for var in mod.getVarTable() if var.grad is not None and _trains(var, inner)]

        def backward():
            mod.backward(getGrad(), updParamGrads=True, updGrad=needInputGrad, scale=1.0, momentum=0.0)

        def getInputGrad():
            return mod.grad

        return [backward], getInputGrad if needInputGrad else None, variables

    return [forward], getOutput, planBackward


def _trains(var, modules):
    """True when a module in train mode holds ``var`` (its backward then writes the gradient)."""
    return any(m.train and any(v is var for v in m.vars.values()) for m in modules)
