"""Glue: a module made of user functions (and, optionally, the modules they use)."""
from PuzzleLib.Errors import BlueprintError, ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._composite import _Composite
from PuzzleLib.Modules._validate import ownerName


class Glue(_Composite):
    """Wrap plain functions as a module, for operations no module offers.

    Parameters
    ----------
    modules : dict or list of Modules, optional
        Modules the functions use; their parameters become this module's (dotted names
        "<key>.W"), and modes, dtypes and files pass down to them.
    fwdGlue : callable(data, modules) -> output
        The forward pass. ``modules`` is the dict of modules (a list is keyed "0", "1", ...).
    bwdGlue : callable(grad, modules) -> input gradient
        The backward pass; it calls ``backward`` of the inner modules itself where needed.
        Without it the module cannot be back-propagated.
    fwdShapeGlue, bwdShapeGlue : callable(shape) -> shape, optional
        ``dataShapeFrom`` / ``gradShapeFrom``; the shape passes unchanged without them.

    Notes
    -----
    A Glue holds code, so it cannot be rebuilt from a file's blueprint (its parameters save and
    load as usual).

    Example::

        >>> square = Glue(fwdGlue=lambda x, mods: x * x, bwdGlue=lambda g, mods: 2 * g * square.inData)
        >>> square(to_gpu(np.array([1.0, 3.0], np.float32))).get()
        array([1., 9.], dtype=float32)
        >>> square.backward(to_gpu(np.ones(2, np.float32))).get()
        array([2., 6.], dtype=float32)
    """

    def __init__(self, modules=None, fwdGlue=None, bwdGlue=None, fwdShapeGlue=None, bwdShapeGlue=None, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        if not callable(fwdGlue):
            raise ModuleError("%s: fwdGlue must be a function (data, modules) -> output, got %r" % (owner, fwdGlue))
        for argname, fn in (("bwdGlue", bwdGlue), ("fwdShapeGlue", fwdShapeGlue), ("bwdShapeGlue", bwdShapeGlue)):
            if fn is not None and not callable(fn):
                raise ModuleError("%s: %s must be a function or None, got %r" % (owner, argname, fn))
        if modules is None:
            modules = {}
        elif isinstance(modules, (list, tuple)):
            modules = {str(i): m for i, m in enumerate(modules)}
        elif not isinstance(modules, dict):
            raise ModuleError("%s: modules must be a dict or list of modules, got %s" % (owner, type(modules).__name__))
        for key, mod in modules.items():
            if not isinstance(mod, Module):
                raise ModuleError("%s: modules[%r] is not a module (%s)" % (owner, key, type(mod).__name__))
            self.modules[str(key)] = mod
        self.fwdGlue, self.bwdGlue = fwdGlue, bwdGlue
        self.fwdShapeGlue, self.bwdShapeGlue = fwdShapeGlue, bwdShapeGlue

    def updateData(self, data):
        self.data = self.fwdGlue(data, self.modules)

    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=0.0):
        if self.bwdGlue is None:
            raise self._error("no bwdGlue was given, so this module cannot be back-propagated")
        if self.data is None:
            raise self._error("backward called before a forward pass")
        self.grad = self.bwdGlue(grad, self.modules)
        return self.grad

    def dataShapeFrom(self, shape):
        return shape if self.fwdShapeGlue is None else self.fwdShapeGlue(shape)

    def gradShapeFrom(self, shape):
        return shape if self.bwdShapeGlue is None else self.bwdShapeGlue(shape)

    def _walk(self, path):
        yield path, self, False
        for key, mod in self.modules.items():
            yield from mod._walk(path + "." + key)

    def _extraRepr(self):
        if not self.modules:
            return ""
        return "modules: %s" % ", ".join("%s=%s" % (key, mod) for key, mod in self.modules.items())

    def getBlueprint(self):
        raise BlueprintError("%s holds user functions and cannot be described by a blueprint" % self._label())
