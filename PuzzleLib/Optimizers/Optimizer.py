"""Optimizer: the base of parameter-update rules.

``opt.setupOn(net)`` (``useGlobalState=False``, the default) leaves the Variables' arrays where
they are and gives each its own state (views of the optimizer's buffers). Variables whose data and
gradients lie back to back in memory form a run (a net's parameters do: they come from the arenas
of ``Backend.gpuarray`` in construction order), and a run is updated and zeroed in one call.
``opt.setupOn(net, useGlobalState=True)`` first moves the variables of one dtype into one flat
buffer (data and gradient; each Variable's ``data`` and ``grad`` become views into it), so the whole
dtype is one run. When a variable has its own rates (``learnRate`` or ``momRate`` other than 1, or
``wc`` other than 0), the update runs per variable with the multipliers applied. All of these give
the same numbers.

.. note:: Gradients are descent directions (see ``PuzzleLib.Modules.Module``): updates **add**
   them, e.g. SGD does ``W += learnRate * W.grad``.

.. note:: Because ``setupOn`` with global state re-homes each Variable's ``data`` into the flat
   buffer, take references to parameter arrays after ``setupOn``, and call ``calcMode`` before it.
"""
from functools import partial
import numbers

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import OptimizerError
from PuzzleLib.Variable import Variable


def _checkRate(owner, argname, value, allowZero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise OptimizerError("%s: invalid %s: %r (expected a number)" % (owner, argname, value))
    if value < 0 or (value == 0 and not allowZero):
        raise OptimizerError("%s: invalid %s: %r (expected a %s number)" % (
            owner, argname, value, "non-negative" if allowZero else "positive"))
    return float(value)


def _checkFactor(owner, argname, value, allowZero=True):
    """A decay factor in [0, 1) (or (0, 1) when ``allowZero`` is False)."""
    value = _checkRate(owner, argname, value, allowZero=allowZero)
    if value >= 1.0:
        raise OptimizerError("%s: invalid %s: %r (expected a number in [0, 1))" % (owner, argname, value))
    return value


class _Run:
    """Variables whose data (and gradients) lie back to back in memory: one span of each.

    ``data``, ``grad``, ``state`` and ``scratch`` are 1-d views of the backend's plain array type
    over the whole span, so a rule applied to them updates every variable of the run in one call.
    """

    def __init__(self, variables, data, grad, state, scratch):
        self.variables = variables
        self.data = data
        self.grad = grad
        self.state = state
        self.scratch = scratch


def _follows(first, second):
    """True when ``second``'s data and gradient start right where ``first``'s end."""
    address = gpuarray.kernels.address
    return (address(first._pdata) + first._pdata.nbytes == address(second._pdata)
            and address(first._pgrad) + first._pgrad.nbytes == address(second._pgrad))


def _spans(variables):
    """Split ``variables`` (in order) into lists whose data and gradients are each one contiguous
    block of memory; a variable with non-contiguous arrays stands alone."""
    spans = []
    previous = None  # the last variable, when the next one may continue its span
    for var in variables:
        contiguous = var._pdata.flags.c_contiguous and var._pgrad.flags.c_contiguous
        if previous is not None and contiguous and _follows(previous, var):
            spans[-1].append(var)
        else:
            spans.append([var])
        previous = var if contiguous else None
    return spans


class _Group:
    """All trainable variables of one dtype, as runs of variables adjacent in memory.

    With ``flat`` (global state) the variables are first moved into one flat buffer (data and
    gradient), so the group is a single run; otherwise each keeps its arrays, and the runs are the
    spans their memory happens to form (parameters from the arenas of ``Backend.gpuarray`` are
    laid out in construction order, so a net built as usual forms a few runs).
    """

    def __init__(self, variables, dtype, stateNames, stateInit, flat=True):
        self.variables = variables
        self.dtype = dtype
        self.flat = flat
        self.size = sum(var.data.size for var in variables)
        flatSpan = gpuarray.kernels.flatSpan

        if flat:
            self.data = gpuarray.empty((self.size,), dtype)
            self.grad = gpuarray.zeros((self.size,), dtype)
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
                offset += n
        else:
            self.data = self.grad = None

        self._scratch = gpuarray.empty((self.size,), dtype)
        self.runs = []
        self.varStates = []
        self.state = {}
        scratchOffset = 0
        for span in ([variables] if flat else _spans(variables)):
            n = sum(var.data.size for var in span)
            data = grad = None
            if len(span) > 1:
                data, grad = flatSpan(span[0]._pdata, n), flatSpan(span[0]._pgrad, n)
            if data is None or grad is None:
                # a lone variable, or not one owner's block after all: a run per variable, on its
                # own arrays as they are (reshaping a non-contiguous array would update a copy)
                for var in span:
                    self._addRun([var], var._pdata, var._pgrad, stateNames, stateInit, scratchOffset)
                    scratchOffset += var.data.size
                continue
            self._addRun(span, data, grad, stateNames, stateInit, scratchOffset)
            scratchOffset += n
        if flat:
            self.state = {sname: buf for sname, buf in self.runs[0].deviceState.items()}
        self._items = None
        self._arrays = [(var.data, var.grad) for var in variables]

    def follow(self):
        """After a Variable's ``data`` or ``grad`` was given a new array (``calcMode``, a user's
        assignment), update and zero each variable on its own current arrays, state kept."""
        if all(var.data is data and var.grad is grad for var, (data, grad) in zip(self.variables, self._arrays)):
            return
        self.runs = [_Run([var], var._pdata, var._pgrad, state, scratch) for var, state, scratch in self.items()]
        self._arrays = [(var.data, var.grad) for var in self.variables]

    def _addRun(self, span, data, grad, stateNames, stateInit, scratchOffset):
        plain = gpuarray.kernels.plain
        n = data.size
        deviceState = {}
        for sname in stateNames:
            buf = gpuarray.zeros(data.shape, self.dtype)
            if stateInit.get(sname, 0.0) != 0.0:
                buf.fill(stateInit[sname])
            deviceState[sname] = buf
        run = _Run(span, data, grad, {sname: plain(buf) for sname, buf in deviceState.items()},
                   plain(self._scratch)[scratchOffset:scratchOffset + n].reshape(data.shape))
        run.deviceState = deviceState
        offset = 0
        for var in span:
            size = var.data.size
            shape = var.data.shape
            self.varStates.append({sname: buf.reshape(-1)[offset:offset + size].reshape(shape)
                                   for sname, buf in deviceState.items()})
            offset += size
        self.runs.append(run)

    def items(self):
        """(var, state, scratch view) for each variable, built once; the state and scratch are of
        the backend's plain array type (the same memory as ``varStates``), for the update's math."""
        if self._items is None:
            plain = gpuarray.kernels.plain
            scratch = plain(self._scratch)
            items = []
            offset = 0
            for var, state in zip(self.variables, self.varStates):
                size = var.data.size
                items.append((var, {sname: plain(buf) for sname, buf in state.items()},
                              scratch[offset:offset + size].reshape(var.data.shape)))
                offset += size
            self._items = items
        return self._items

    def uniform(self):
        """True when every variable uses the optimizer's own rates (no multipliers, no decay)."""
        for var in self.variables:
            if var.learnRate != 1.0 or var.momRate != 1.0 or var.wc != 0.0:
                return False
        return True


class Optimizer:
    """Base class of optimizers.

    A subclass names its per-element state buffers in ``stateNames`` (initial values in
    ``stateInit``, zero otherwise), its hyperparameters in ``hyperNames`` (saved with the state)
    and implements ``updateVar(param, grad, state, scratch, learnRate, momRate)``, which must work
    in place on arrays of any shape (it is called on the flat buffers and on single variables
    alike). ``learnRate`` and ``momRate`` there already include the variable's multipliers
    (``momRate`` is the variable's multiplier alone: the rule multiplies its own momentum rate).

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> class SignSGD(Optimizer):
        ...     def __init__(self, learnRate=1e-3):
        ...         self.learnRate = learnRate
        ...         super().__init__()
        ...     def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        ...         param += learnRate * gpuarray.xp.sign(grad)
        >>> lin = Linear(2, 1)
        >>> opt = SignSGD(learnRate=0.1)
        >>> opt.setupOn(lin)
        >>> W0 = lin.W.get()
        >>> y = lin(to_gpu(np.array([[3.0, -0.5]], np.float32)))
        >>> dx = lin.backward(to_gpu(np.ones((1, 1), np.float32)))   # W.grad = [[3], [-0.5]]
        >>> opt.update()
        >>> (lin.W.get() - W0).ravel().round(4)
        array([ 0.1, -0.1], dtype=float32)
    """

    stateNames = ()
    stateInit = {}
    hyperNames = ("learnRate",)

    def __init__(self, nodeinfo=None):
        self.t = 0
        self.module = None
        self.hooks = []
        self.groups = []
        self.states = {}
        self.nodeinfo = nodeinfo
        self.useGlobalState = False
        self.learnRate = getattr(self, "learnRate", 0.0)
        self._temps = {}
        self._rebinds = None  # Variable._rebinds when the runs were last checked

    def _label(self):
        return type(self).__name__

    def setupOn(self, mod, useGlobalState=False):
        """Prepare state for every trainable Variable of ``mod`` (call once, after building it).

        With ``useGlobalState`` the variables of one dtype share flat buffers, so an update is one
        call per dtype; without it (the default) each variable keeps its own arrays and state.
        With a ``nodeinfo`` (a node of ``PuzzleLib.Grid``), every node then takes node 0's
        parameters, and each ``update()`` first averages the gradients over the nodes (after the
        hooks): one collective per run of adjacent parameters, so every node must call it.
        """
        from PuzzleLib.Modules.Module import Module
        if not isinstance(mod, Module):
            given = ("the class %s itself (an instance is expected)" % mod.__name__ if isinstance(mod, type)
                     else type(mod).__name__)
            raise OptimizerError("%s.setupOn: expected a module, got %s" % (self._label(), given))
        self.module = mod
        variables = [var for var in mod.getVarTable() if var.grad is not None]
        byDtype = {}
        for var in variables:
            byDtype.setdefault(var.data.dtype, []).append(var)
        flat = bool(useGlobalState)
        self.groups = [_Group(vs, dtype, self.stateNames, self.stateInit, flat) for dtype, vs in byDtype.items()]
        self.states = {}
        for group in self.groups:
            for var, state in zip(group.variables, group.varStates):
                self.states[var] = state
        self.useGlobalState = flat
        self._temps = {}
        self.t = 0
        self._rebinds = Variable._rebinds
        if self.nodeinfo is not None:
            self.nodeinfo._broadcastParams(self)  # every node starts from node 0's parameters

    def _follow(self):
        for group in self.groups:
            group.follow()
        self._rebinds = Variable._rebinds

    def _requireSetup(self):
        if self.module is None:
            raise OptimizerError("%s: call setupOn(net) before using the optimizer" % self._label())

    def variables(self):
        """The trainable Variables, in a fixed order (by dtype, then as the net lists them)."""
        return [var for group in self.groups for var in group.variables]

    def zeroGradParams(self):
        """Zero every trainable Variable's gradient (one fill per run of adjacent variables).

        The gradients are then known to be zero, so the next backward writes each of them instead
        of adding to zeros. Add terms of your own to ``.grad`` after backward (or in a hook), not
        in place between ``zeroGradParams()`` and backward: they would be overwritten. (A new array
        assigned to ``.grad`` is fine: it is not taken for zeros.)
        """
        if self.module is None:
            self._requireSetup()
        if Variable._rebinds != self._rebinds:
            self._follow()
        for group in self.groups:
            for run in group.runs:
                run.grad.fill(0)
            for var in group.variables:
                var._zeroed = True

    def addHook(self, hook):
        """Run ``hook(var, state, optimizer)`` on each variable before every update.

        Hooks may change ``var.grad`` in place (weight decay, gradient clipping: see
        ``PuzzleLib.Optimizers.Hooks``). A hook with a ``prepare(optimizer)`` method gets that
        called once per update, before any variable (e.g. to compute a global gradient norm).
        """
        if not callable(hook):
            raise OptimizerError("%s.addHook: expected a callable, got %r" % (self._label(), hook))
        self.hooks.append(hook)

    def _runHooks(self):
        for hook in self.hooks:
            prepare = getattr(hook, "prepare", None)
            if prepare is not None:
                prepare(self)
        for group in self.groups:
            for var, state in zip(group.variables, group.varStates):
                for hook in self.hooks:
                    hook(var, state, self)

    def update(self):
        """Apply one step to every trainable Variable; counts ``t``."""
        if self.module is None:
            self._requireSetup()
        self.t += 1
        node = self.nodeinfo
        # the mean gradient over a grid's nodes: after the hooks, as PuzzleLib 1.0 does, or before
        # them under DataParallel (clipping then sees the gradient one process would see)
        meanFirst = node is not None and node._meanBeforeHooks
        if meanFirst:
            if Variable._rebinds != self._rebinds:
                self._follow()
            node._reduceGradients(self)
        if self.hooks:
            self._runHooks()
        if Variable._rebinds != self._rebinds:  # after the hooks: one may have assigned a new array
            self._follow()
        if node is not None and not meanFirst:
            node._reduceGradients(self)
        learnRate = self.learnRate
        for group in self.groups:
            if group.uniform():
                for run in group.runs:
                    self.updateVar(run.data, run.grad, run.state, run.scratch, learnRate, 1.0)
            else:
                for var, state, scratch in group.items():
                    grad = var._pgrad
                    if var.wc != 0.0:
                        # weight decay as a descent direction: grad - wc * W (in a reused temporary;
                        # var.grad itself keeps the gradient the backward wrote)
                        decayed = self._temp("decayed", grad)
                        gpuarray.xp.multiply(var._pdata, -var.wc, out=decayed)
                        decayed += grad
                        grad = decayed
                    self.updateVar(var._pdata, grad, state, scratch, learnRate * var.learnRate, var.momRate)

    def _planUpdate(self):
        """For a Trainer that replays its step batch after batch: ``(update, variables, zeroOps)``,
        where ``update()`` does what ``update()`` does, ``variables`` are the trained Variables and
        ``zeroOps`` what ``zeroGradParams()`` does to their arrays. None when the step can't be
        planned: hooks (they may look at anything), variables with their own rates, or a subclass
        with its own ``update`` or ``zeroGradParams``."""
        mine = type(self)
        if (self.module is None or self.hooks or mine.update is not Optimizer.update
                or mine.zeroGradParams is not Optimizer.zeroGradParams or Variable._rebinds != self._rebinds):
            return None
        if not all(group.uniform() for group in self.groups):
            return None
        runs = [(run.data, run.grad, run.state, run.scratch) for group in self.groups for run in group.runs]
        zeroOps = [partial(grad.fill, 0) for _, grad, _, _ in runs]
        updateVar = self.updateVar
        node = self.nodeinfo

        def update():
            self.t += 1
            if node is not None:
                node._reduceGradients(self)
            learnRate = self.learnRate
            for data, grad, state, scratch in runs:
                updateVar(data, grad, state, scratch, learnRate, 1.0)

        return update, self.variables(), zeroOps

    def updateVar(self, param, grad, state, scratch, learnRate, momRate):
        raise NotImplementedError

    def _temp(self, key, like):
        """A cached temporary shaped like ``like`` (for rules that need more than ``scratch``)."""
        k = (key, tuple(like.shape), like.dtype)
        buf = self._temps.get(k)
        if buf is None:
            buf = gpuarray.kernels.plain(gpuarray.empty(like.shape, like.dtype))
            self._temps[k] = buf
        return buf

    # ---- files: the state, to resume training ----
    def save(self, hdf=None):
        """Write hyperparameters, ``t`` and every state buffer to HDF5 (a path, an open h5py
        file/group, or None for the file's bytes). A path is replaced atomically."""
        from PuzzleLib.Optimizers import _state
        return _state.saveOptimizer(self, hdf)

    def load(self, hdf):
        """Read what ``save`` wrote (call ``setupOn`` first); checks everything before changing anything."""
        from PuzzleLib.Optimizers import _state
        _state.loadOptimizer(self, hdf)
        return self

    def __str__(self):
        args = ", ".join("%s=%s" % (hname, getattr(self, hname)) for hname in self.hyperNames)
        return "%s(%s)" % (type(self).__name__, args)

    __repr__ = __str__
