"""Handler: drives a module over a data set in batches (the base of Trainer, Validator, Calculator)."""
import math
from operator import itemgetter
import numbers

import numpy as np

from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import HandlerError
from PuzzleLib.Modules._validate import typeName


class Handler:
    """Runs ``handleBatch`` over a data set split into batches.

    ``handle(data, ...)`` takes device arrays; ``handleFromHost(data, ..., macroBatchSize=10000)``
    takes host (numpy) arrays, copies them to the device a macro-batch at a time and handles each.
    With ``random=True`` the macro-batches and the batches inside each are visited in a random
    order: first ``np.random.permutation(totalMacroBatches)``, then for each macro-batch
    ``np.random.permutation(totalBatches)``, as upstream PuzzleLib draws them. After each batch
    the module's cache is reset and ``onBatchFinish(handler)`` is called.

    Counters, as PuzzleLib 1.0 keeps them: ``currBatch`` is the number of batches of the current
    macro-batch (or ``handle`` call) done so far, ``currMacroBatch`` the number of macro-batches
    done so far; so the first ``onBatchFinish`` sees ``currBatch == 1`` and the first
    ``onMacroBatchFinish`` sees ``currMacroBatch == 1``. ``totalBatches`` and
    ``totalMacroBatches`` are the counts of the current call.

    Parameters
    ----------
    mod : Module
    onBatchFinish : callable(handler), optional
        Called after each batch.
    batchsize : int
        Samples per batch (the last batch of a macro-batch may be shorter).

    Example::

        >>> from PuzzleLib.Modules import Identity
        >>> class BatchSizes(Handler):
        ...     def handleBatch(self, batch, idx, state):
        ...         print("batch", idx, "of", self.totalBatches, "holds", batch[0].shape[0], "samples")
        >>> BatchSizes(Identity(), batchsize=4).handleFromHost(np.zeros((10, 3), np.float32), random=False)
        batch 0 of 3 holds 4 samples
        batch 1 of 3 holds 4 samples
        batch 2 of 3 holds 2 samples
        >>> done = []
        >>> BatchSizes(Identity(), batchsize=4, onBatchFinish=lambda h: done.append(h.currBatch)).handleFromHost(
        ...     np.zeros((6, 3), np.float32), random=False)
        batch 0 of 2 holds 4 samples
        batch 1 of 2 holds 2 samples
        >>> done
        [1, 2]
    """

    def __init__(self, mod, onBatchFinish=None, batchsize=128):
        from PuzzleLib.Modules.Module import Module
        if not isinstance(mod, Module):
            raise HandlerError("%s: expected a module, got %s" % (type(self).__name__, _given(mod)))
        if isinstance(batchsize, bool) or not isinstance(batchsize, numbers.Integral) or batchsize <= 0:
            raise HandlerError("%s: batchsize must be a positive integer, got %r" % (type(self).__name__, batchsize))
        if onBatchFinish is not None and not callable(onBatchFinish):
            raise HandlerError("%s: onBatchFinish must be callable, got %r" % (type(self).__name__, onBatchFinish))
        self.module = mod
        self.onBatchFinish = onBatchFinish
        self.batchsize = int(batchsize)

        self.currBatch = 0
        self.totalBatches = 0
        self.currMacroBatch = 0
        self.totalMacroBatches = 0
        self._plannedBatches = 0  # batches of the last call run by a captured step (tests, benchmarks)

    def _label(self):
        return type(self).__name__

    def _checkArrays(self, arrays, host):
        n = None
        for i, ary in enumerate(arrays):
            if not hasattr(ary, "shape") or not hasattr(ary, "dtype"):
                raise HandlerError("%s: argument %d must be an array, got %s" % (self._label(), i, type(ary).__name__))
            if gpuarray.isGPU:
                # host data may be any array-like sliced into numpy arrays (numpy, an h5py dataset)
                if host and isinstance(ary, gpuarray.GPUArray):
                    raise HandlerError("%s: ...FromHost takes host arrays (numpy, h5py datasets), got a device array "
                                       "(GPUArray) as argument %d; pass device data to the call without FromHost" % (
                                           self._label(), i))
                if not host and not isinstance(ary, gpuarray.GPUArray):
                    raise HandlerError("%s: expected device arrays (GPUArray), got %s as argument %d; pass host data "
                                       "to the ...FromHost call" % (self._label(), typeName(ary), i))
            if len(ary.shape) == 0:
                raise HandlerError("%s: argument %d must have a batch axis, got a scalar" % (self._label(), i))
            if n is None:
                n = ary.shape[0]
            elif ary.shape[0] != n:
                raise HandlerError("%s: all arrays need the same number of samples; got %d and %d (argument %d)" % (
                    self._label(), n, ary.shape[0], i))
        if n == 0:
            raise HandlerError("%s: the data set is empty" % self._label())
        return n

    def handleFromHost(self, data, *args, macroBatchSize=10000, onMacroBatchFinish=None, random=True, **kwargs):
        arrays = (data,) + args
        n = self._checkArrays(arrays, host=True)
        if all(isinstance(ary, np.ndarray) for ary in arrays):  # not an h5py dataset: checked whole
            self._checkTargets(arrays)
        if isinstance(macroBatchSize, bool) or not isinstance(macroBatchSize, numbers.Integral) or macroBatchSize <= 0:
            raise HandlerError("%s: macroBatchSize must be a positive integer, got %r" % (self._label(), macroBatchSize))
        if onMacroBatchFinish is not None and not callable(onMacroBatchFinish):
            raise HandlerError("%s: onMacroBatchFinish must be callable, got %r" % (self._label(), onMacroBatchFinish))
        self.totalMacroBatches = int(math.ceil(n / macroBatchSize))
        order = np.random.permutation(self.totalMacroBatches) if random else range(self.totalMacroBatches)
        for i, idx in enumerate(order):
            self.currMacroBatch = i
            start = int(idx) * macroBatchSize
            macro = [gpuarray.to_gpu(ary[start:start + macroBatchSize]) for ary in arrays]
            self.handle(*macro, random=random, **kwargs)
            self.currMacroBatch = i + 1
            if onMacroBatchFinish is not None:
                onMacroBatchFinish(self)

    def handle(self, data, *args, random=True, **kwargs):
        arrays = (data,) + args
        n = self._checkArrays(arrays, host=False)
        verified = bool(self._checkTargets(arrays))
        # modules that take the data as it is (the module, or the first of a Sequential) check it
        # whole once, rather than each batch (Embedder: the index range)
        checkedData = [m for m in _entryModules(self.module)
                       if hasattr(m, "_checkDataFor") and m._checkDataFor(arrays[0])]
        bs = self.batchsize
        self.totalBatches = int(math.ceil(n / bs))
        order = np.random.permutation(self.totalBatches).tolist() if random else range(self.totalBatches)
        mod = self.module
        onBatchFinish = self.onBatchFinish
        # The module's cache is reset after every batch. Where nobody can tell the difference (no
        # callback to look; every module in the tree is the library's own and resets only what the
        # next batch overwrites) it is reset once, after the last batch.
        resetEachBatch = onBatchFinish is not None or not _plainResets(mod)
        state = self._beginHandle(n, **kwargs)
        mod._setReuse(True)
        self._markTargets(verified)
        for m in checkedData:
            m._dataVerified = True
        try:
            # where nobody can look between batches, a handler may replay captured steps (_plan.py)
            runBatch = None if resetEachBatch else self._batchRunner(arrays, state)
            for i, idx in enumerate(order):
                self.currBatch = i
                start = idx * bs
                if runBatch is not None:
                    runBatch(start, start + bs, idx)
                    self.currBatch = i + 1
                    continue
                batch = list(map(itemgetter(slice(start, start + bs)), arrays))
                self.handleBatch(batch, idx, state)
                self.currBatch = i + 1
                if resetEachBatch:
                    mod.reset()
                if onBatchFinish is not None:
                    onBatchFinish(self)
        except BaseException:
            self._endHandle(state)  # a failed batch must not leave the cost reusing its buffers
            raise
        finally:
            self._markTargets(False)
            for m in checkedData:
                m._dataVerified = False
            mod._setReuse(False)
            if not resetEachBatch:
                mod.reset()
        return self._endHandle(state)

    def _checkTargets(self, arrays):
        """Refuse bad targets in the whole set before the first batch (Trainer, Validator); True
        when the values were checked whole, so that the cost may skip its per-batch checks."""
        return False

    def _markTargets(self, verified):
        """Tell the cost (if any) whether this call's targets were checked whole (``_checkTargets``)."""

    def _beginHandle(self, n, **kwargs):
        return None

    def _endHandle(self, state):
        return None

    def handleBatch(self, batch, idx, state):
        raise NotImplementedError

    def _batchRunner(self, arrays, state):
        """A callable ``run(start, stop, idx)`` that handles ``arrays[start:stop]`` as
        ``handleBatch`` would, used when nobody looks between batches; None (the default) to call
        ``handleBatch`` for every batch."""
        return None

    def _tryPlan(self, planner, *args):
        """``planner(*args)``, or None when it fails: a plan is only a speed-up, and a failure in
        making one must not stop the work (it is logged once per handler)."""
        try:
            return planner(*args)
        except Exception as e:
            if Config.showWarnings and not self.__dict__.get("_planWarned"):
                self._planWarned = True
                Config.getLogger().warning("%s: could not capture the step (%s: %s); every batch runs the usual "
                                           "way" % (self._label(), type(e).__name__, e))
            return None

    def _plannedRunner(self, arrays, state, makePlan, replay):
        """A batch runner (see ``_batchRunner``) with captured steps: the first batch of each size
        runs ``handleBatch``, then ``makePlan(x)`` (``x``: that batch's data, a plain array) makes a
        plan of it; each later batch of that size is copied into ``plan.staging`` and handled by
        ``replay(plan, start, stop)``. None when ``Config.captureSteps`` is off."""
        if not Config.captureSteps:
            return None
        X = gpuarray.kernels.plain(arrays[0])
        copyto = gpuarray.xp.copyto
        plans = {}  # batch size -> plan, or False when it can't be planned

        def runBatch(start, stop, idx):
            x = X[start:stop]
            plan = plans.get(x.shape[0])
            if not plan:
                self.handleBatch([ary[start:stop] for ary in arrays], idx, state)
                if plan is None:
                    plans[x.shape[0]] = self._tryPlan(makePlan, x) or False
                return
            copyto(plan.staging, x)
            replay(plan, start, stop)
            self._plannedBatches += 1

        return runBatch

    def _forwardRunner(self, arrays, state, consume):
        """``_plannedRunner`` for handlers whose batch is a forward pass of ``arrays[0]`` followed
        by ``consume(output, start, stop)`` (Validator, Calculator)."""
        from PuzzleLib.Handlers._plan import planForwardPass
        module = self.module

        def replay(plan, start, stop):
            for op in plan.forward:
                op()
            consume(plan.output(), start, stop)

        return self._plannedRunner(arrays, state, lambda x: planForwardPass(module, x), replay)


def _entryModules(mod):
    """``mod`` and, through Sequential containers, the first module of each: the modules that
    receive a handler's batches as they are."""
    from PuzzleLib.Containers.Sequential import Sequential
    while True:
        yield mod
        if not isinstance(mod, Sequential) or not mod.graph:
            return
        mod = mod.graph[0]


def _plainResets(mod):
    """True when every module in ``mod``'s tree is the library's own and its ``reset`` clears only
    what its next forward pass overwrites (the base cache, or a class that says so with
    ``_resetClearsOnlyCaches``), so that none reads the last batch's cache in the next one."""
    from PuzzleLib.Modules.Module import Module
    from PuzzleLib.Modules._composite import _Composite
    for _, m, _ in mod._walk(""):
        cls = type(m)
        if not cls.__module__.startswith("PuzzleLib."):
            return False
        if cls.reset in (Module.reset, _Composite.reset):
            continue
        owner = next(k for k in cls.__mro__ if "reset" in k.__dict__)
        if not owner.__dict__.get("_resetClearsOnlyCaches", False):
            return False
    return True


def _given(value):
    """How an error names a wrong argument: its type, or a class passed where an instance belongs."""
    if isinstance(value, type):
        return "the class %s itself (an instance is expected, e.g. %s(...))" % (value.__name__, value.__name__)
    return typeName(value)
