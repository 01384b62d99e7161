"""Trainer: one optimizer step per batch."""
import math

import numpy as np

from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost.Cost import Cost
from PuzzleLib.Errors import HandlerError
from PuzzleLib.Handlers.Handler import Handler, _given
from PuzzleLib.Handlers._plan import planTrainingStep
from PuzzleLib.Optimizers.Optimizer import Optimizer


class Trainer(Handler):
    """Trains ``mod`` on (data, target) pairs.

    Each call (``train`` / ``trainFromHost``) resets the cost's accumulator and puts the module in
    train mode; each batch computes ``grad = cost(mod(x), y, queryError=False)``, zeroes the
    parameter gradients, back-propagates with ``updGrad=False`` and calls ``optimizer.update()``.
    ``cost.getMeanError()`` is then the sample-weighted mean error of the batches seen so far.

    Parameters
    ----------
    mod : Module
    cost : Cost
        Gives each batch's (negative) gradient and error.
    optimizer : Optimizer
        Set up on ``mod`` at the first call if ``setupOn`` was not called.
    onBatchFinish : callable(handler), optional
        Called after each batch.
    batchsize : int
    onNonFinite : str
        What to do the first time a batch's error is not finite (training has diverged):
        ``"warn"`` (the default) logs one warning through the ``PuzzleLib`` logger naming the
        epoch (the count of ``train``/``trainFromHost`` calls) and the batch, with a hint;
        ``"raise"`` raises :class:`~PuzzleLib.Errors.HandlerError` instead (after that batch's
        update); ``"ignore"`` says nothing. On the CPU each batch's error is checked (it is
        already on the host); on the GPU the running error is checked after each ``train`` /
        macro-batch, so as not to wait for the device after every batch. numpy's own overflow
        warnings inside a training call are silenced: this one says it once.

    Notes
    -----
    When nothing can look between batches (no ``onBatchFinish``, only the library's modules, no
    optimizer hooks), the second and later batches of each size replay a captured step: the same
    kernels on the same buffers, without the Python layers around them (bit for bit the same
    numbers; ``Config.captureSteps = False`` turns it off; see ``PuzzleLib/Handlers/_plan.py``).

    Example::

        >>> from PuzzleLib.Cost import MSE
        >>> from PuzzleLib.Modules import Linear
        >>> from PuzzleLib.Optimizers import MomentumSGD
        >>> net = Linear(1, 1)
        >>> X = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
        >>> trainer = Trainer(net, MSE(), MomentumSGD(learnRate=0.1), batchsize=10)
        >>> for epoch in range(20):
        ...     trainer.trainFromHost(X, 2 * X + 1)
        >>> trainer.cost.getMeanError() < 1e-4   # the last epoch's mean error
        True
        >>> net.W.get().round(2), net.b.get().round(2)
        (array([[2.]], dtype=float32), array([1.], dtype=float32))
    """

    def __init__(self, mod, cost, optimizer, onBatchFinish=None, batchsize=128, onNonFinite="warn"):
        super().__init__(mod, onBatchFinish, batchsize)
        if onNonFinite not in _ON_NON_FINITE:
            raise HandlerError("Trainer: onNonFinite must be one of %s, got %r" % (
                ", ".join(repr(v) for v in _ON_NON_FINITE), onNonFinite))
        if not isinstance(cost, Cost):
            raise HandlerError("Trainer: expected a cost (e.g. MSE()), got %s" % _given(cost))
        if not isinstance(optimizer, Optimizer):
            raise HandlerError("Trainer: expected an optimizer (e.g. MomentumSGD()), got %s" % _given(optimizer))
        self.cost = cost
        self.optimizer = optimizer
        self.onNonFinite = onNonFinite
        self.nonFinite = None  # (epoch, batch) of the first non-finite batch error, once seen
        self._calls = 0

    def train(self, data, target, random=True):
        self._prepare()
        with np.errstate(over="ignore", invalid="ignore"):
            self.handle(data, target, random=random)

    def trainFromHost(self, data, target, macroBatchSize=10000, onMacroBatchFinish=None, random=True):
        self._prepare()
        with np.errstate(over="ignore", invalid="ignore"):
            self.handleFromHost(data, target, macroBatchSize=macroBatchSize, onMacroBatchFinish=onMacroBatchFinish,
                                random=random)

    def _prepare(self):
        if self.optimizer.module is None:
            self.optimizer.setupOn(self.module)
        elif self.optimizer.module is not self.module:
            self._checkOptimizerCovers()
        self.cost.resetAccumulator()
        self.module.trainMode()
        self._calls += 1
        self._plannedBatches = 0  # batches of this call run by a captured step (for tests and benchmarks)

    def _checkOptimizerCovers(self):
        # an optimizer set up on a part of the net (fine-tuning the head) or on a net around it is
        # fine; one set up on an unrelated net would silently train nothing
        trainable = [var for var in self.module.getVarTable() if var.grad is not None]
        if trainable and not any(var in self.optimizer.states for var in trainable):
            other = self.optimizer.module
            raise HandlerError(
                "Trainer: the optimizer was set up on another net (%s %r), which shares no parameter with "
                "the module being trained (%s %r); call optimizer.setupOn(mod) on it, or pass a new optimizer"
                % (type(other).__name__, other.name, type(self.module).__name__, self.module.name)
            )

    def _checkTargets(self, arrays):
        if len(arrays) == 2:
            return self.cost._checkTargetsFor(self.module, arrays[0], arrays[1])
        return False

    def _markTargets(self, verified):
        self.cost._targetsVerified = verified

    def _beginHandle(self, n, **kwargs):
        self.cost._setReuse(True)
        return None

    def _endHandle(self, state):
        self.cost._setReuse(False)
        if self.nonFinite is None and self.onNonFinite != "ignore" and gpuarray.isGPU:
            if not _finite(self.cost.getMeanError()):
                self._sawNonFinite(None)

    def _sawNonFinite(self, batch):
        """The first non-finite batch error: warn once, or raise (``onNonFinite``)."""
        self.nonFinite = (self._calls, batch)
        where = "epoch %d, batch %d of %d" % (self._calls, batch + 1, self.totalBatches) if batch is not None else \
            "epoch %d (the running error, checked after each macro-batch on the GPU)" % self._calls
        message = ("Trainer: the error is not finite (%s) at %s: training has diverged; try a smaller "
                   "learnRate, standardise the data (zero mean, unit variance), or shuffle rows that are sorted"
                   % (self.cost.error if batch is not None else "nan or inf", where))
        if self.onNonFinite == "raise":
            raise HandlerError(message)
        if Config.showWarnings:
            Config.getLogger().warning(message)

    def handleBatch(self, batch, idx, state):
        data, target = batch
        grad = self.cost(self.module(data), target, queryError=False)
        self.optimizer.zeroGradParams()
        self.module.backward(grad, updGrad=False)
        self.optimizer.update()
        if self.nonFinite is None and self.onNonFinite != "ignore" and not gpuarray.isGPU:
            if not _finite(self.cost.error):
                self._sawNonFinite(self.currBatch)

    def _batchRunner(self, arrays, state):
        if type(self).handleBatch is not Trainer.handleBatch or len(arrays) != 2:
            return None
        T = gpuarray.kernels.plain(arrays[1])
        cost = self.cost
        account = cost._account

        check = self.onNonFinite != "ignore" and not gpuarray.isGPU
        isfinite = math.isfinite

        def replay(plan, start, stop):
            for op in plan.forward:
                op()
            error = plan.errorAndGrad(T[start:stop])
            account(error, plan.staging.shape[0])
            cost.grad = plan.grad  # as cost(...) sets it: the batch sizes' gradients are different arrays
            for op in plan.backward:
                op()
            plan.update()
            if check and self.nonFinite is None and not isfinite(error):
                self._sawNonFinite(self.currBatch)

        return self._plannedRunner(arrays, state, lambda x: planTrainingStep(self, x), replay)


_ON_NON_FINITE = ("warn", "raise", "ignore")


def _finite(error):
    """Whether an error is finite: a number, or each of a list (Multi gives one per cost)."""
    if isinstance(error, (list, tuple)):
        return all(math.isfinite(e) for e in error)
    return math.isfinite(error)
