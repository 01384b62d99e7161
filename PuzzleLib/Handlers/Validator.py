"""Validator: the mean error of a module over a data set, in eval mode."""
from PuzzleLib.Cost.Cost import Cost
from PuzzleLib.Errors import HandlerError
from PuzzleLib.Handlers.Handler import Handler, _given


class Validator(Handler):
    """``validate(data, target)`` / ``validateFromHost(...)`` return the mean per-sample error
    over the whole set (weighted by batch sizes), in eval mode, in order.

    Parameters
    ----------
    mod : Module
    cost : Cost
        Its ``validate`` gives each batch's error (an error rate for the classification costs).
    onBatchFinish : callable(handler), optional
        Called after each batch.
    batchsize : int

    Notes
    -----
    Without ``onBatchFinish``, the later batches of each size replay a captured forward pass
    (the same numbers; see ``PuzzleLib/Handlers/_plan.py``).

    Example::

        >>> from PuzzleLib.Cost import MSE
        >>> from PuzzleLib.Modules import Identity
        >>> X = np.zeros((10, 1), np.float32)
        >>> Validator(Identity(), MSE(), batchsize=4).validateFromHost(X, X + 1)   # 0.5 * mean(1**2)
        0.5
    """

    def __init__(self, mod, cost, onBatchFinish=None, batchsize=128):
        super().__init__(mod, onBatchFinish, batchsize)
        if not isinstance(cost, Cost):
            raise HandlerError("Validator: expected a cost (e.g. MSE()), got %s" % _given(cost))
        self.cost = cost
        self.error = None

    def validate(self, data, target):
        self._prepare()
        self.handle(data, target, random=False)
        return self._finish()

    def validateFromHost(self, data, target, macroBatchSize=10000, onMacroBatchFinish=None):
        self._prepare()
        self.handleFromHost(data, target, macroBatchSize=macroBatchSize, onMacroBatchFinish=onMacroBatchFinish,
                            random=False)
        return self._finish()

    def _prepare(self):
        self.module.evalMode()
        self.cost.resetAccumulator()
        self._plannedBatches = 0

    def _finish(self):
        self.error = self.cost.getMeanError()
        return self.error

    def _checkTargets(self, arrays):
        if len(arrays) == 2:
            return self.cost._checkTargetsFor(self.module, arrays[0], arrays[1])
        return False

    def _markTargets(self, verified):
        self.cost._targetsVerified = verified

    def handleBatch(self, batch, idx, state):
        data, target = batch
        self.cost._validate(self.module(data), target)

    def _batchRunner(self, arrays, state):
        if type(self).handleBatch is not Validator.handleBatch or len(arrays) != 2:
            return None
        target = arrays[1]
        validate = self.cost._validate

        def consume(output, start, stop):
            validate(output, target[start:stop])

        return self._forwardRunner(arrays, state, consume)
