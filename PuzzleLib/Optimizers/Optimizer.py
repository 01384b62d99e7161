"""Optimizer: the base of parameter-update rules.

``opt.setupOn(net)`` takes every trainable Variable of ``net`` and packs those of one dtype into one
flat, contiguous buffer (data and gradient); each Variable's ``data`` and ``grad`` become views into
it. Optimizer state is packed the same way. When every variable of a group uses the optimizer's own
rates (``learnRate == momRate == 1`` and ``wc == 0``), an update is one call per dtype; otherwise it
runs per variable with the multipliers applied. Both give the same numbers.

.. note:: Gradients are descent directions (see ``PuzzleLib.Modules.Module``): updates **add**
   them, e.g. SGD does ``W += learnRate * W.grad``.

.. note:: Because ``setupOn`` re-homes each Variable's ``data`` into the flat buffer, take
   references to parameter arrays after ``setupOn``, and call ``calcMode`` before it.
"""
import numbers

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import OptimizerError


def _checkRate(owner, argname, value, allowZero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise OptimizerError("%s: invalid %s: %r (expected a number)" % (owner, argname, value))
    if value < 0 or (value == 0 and not allowZero):
        raise OptimizerError("%s: invalid %s: %r" % (owner, argname, value))
    return float(value)


class _Group:
    """All trainable variables of one dtype, packed into flat buffers."""

    def __init__(self, variables, dtype, stateNames):
        self.variables = variables
        self.dtype = dtype
        total = sum(var.data.size for var in variables)
        self.data = gpuarray.empty((total,), dtype)
        self.grad = gpuarray.zeros((total,), dtype)
        self.state = {sname: gpuarray.zeros((total,), dtype) for sname in stateNames}
        self.varStates = []
        offset = 0
        for var in variables:
            n = var.data.size
            shape = var.data.shape
            dataView = self.data[offset:offset + n].reshape(shape)
            dataView[...] = var.data
            var.data = dataView
            gradView = self.grad[offset:offset + n].reshape(shape)
            gradView[...] = var.grad
            var.grad = gradView
            self.varStates.append({sname: buf[offset:offset + n].reshape(shape) for sname, buf in self.state.items()})
            offset += n
        self._scratch = None

    def scratch(self):
        if self._scratch is None:
            self._scratch = gpuarray.empty(self.data.shape, self.dtype)
        return self._scratch

    def uniform(self):
        for var in self.variables:
            if var.learnRate != 1.0 or var.momRate != 1.0 or var.wc != 0.0:
                return False
        return True


class Optimizer:
    """Base class of optimizers.

    A subclass names its per-element state buffers in ``stateNames`` and implements
    ``updateVar(param, grad, state, scratch, learnRate, momRate)``, which must work in place on
    arrays of any shape (it is called on the flat buffers and on single variables alike).
    """

    stateNames = ()

    def __init__(self, nodeinfo=None):
        self.t = 0
        self.module = None
        self.hooks = []
        self.groups = []
        self.states = {}
        self.nodeinfo = nodeinfo
        self.learnRate = getattr(self, "learnRate", 0.0)

    def _label(self):
        return type(self).__name__

    def setupOn(self, mod, useGlobalState=False):
        """Prepare state for every trainable Variable of ``mod`` (call once, after building it)."""
        from PuzzleLib.Modules.Module import Module
        if not isinstance(mod, Module):
            raise OptimizerError("%s.setupOn: expected a module, got %s" % (self._label(), type(mod).__name__))
        self.module = mod
        variables = [var for var in mod.getVarTable() if var.grad is not None]
        byDtype = {}
        for var in variables:
            byDtype.setdefault(var.data.dtype, []).append(var)
        self.groups = [_Group(vs, dtype, self.stateNames) for dtype, vs in byDtype.items()]
        self.states = {}
        for group in self.groups:
            for var, state in zip(group.variables, group.varStates):
                self.states[var] = state
        self.useGlobalState = useGlobalState
        self.t = 0

    def _requireSetup(self):
        if self.module is None:
            raise OptimizerError("%s: call setupOn(net) before using the optimizer" % self._label())

    def zeroGradParams(self):
        """Zero every trainable Variable's gradient (one fill per dtype)."""
        self._requireSetup()
        for group in self.groups:
            group.grad.fill(0)

    def addHook(self, hook):
        """``hook(var, state, optimizer)`` runs on each variable before an update (weight decay, clipping)."""
        if not callable(hook):
            raise OptimizerError("%s.addHook: expected a callable, got %r" % (self._label(), hook))
        self.hooks.append(hook)

    def update(self):
        """Apply one step to every trainable Variable; counts ``t``."""
        self._requireSetup()
        self.t += 1
        for group in self.groups:
            if self.hooks:
                for var, state in zip(group.variables, group.varStates):
                    for hook in self.hooks:
                        hook(var, state, self)
            if group.uniform():
                self.updateVar(group.data, group.grad, group.state, group.scratch(), self.learnRate, 1.0)
            else:
                for var, state in zip(group.variables, group.varStates):
                    grad = var.grad
                    if var.wc != 0.0:
                        # weight decay as a descent direction: grad - wc * W
                        grad = grad - var.wc * var.data
                    scratch = group.scratch()[:var.data.size].reshape(var.data.shape)
                    self.updateVar(var.data, grad, state, scratch, self.learnRate * var.learnRate, var.momRate)

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        raise NotImplementedError

    def __str__(self):
        return "%s(learnRate=%s)" % (type(self).__name__, self.learnRate)

    __repr__ = __str__
