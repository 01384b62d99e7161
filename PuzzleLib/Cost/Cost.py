"""Cost: the base of error functions; hands back the negative gradient of the error."""
from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import CostError


class Cost:
    """Base class of costs.

    ``cost(pred, target, queryError=True)`` returns ``(error, grad)`` (only ``grad`` when
    ``queryError=False``), where ``grad`` is the **negative** gradient of the error with respect
    to ``pred`` (a descent direction). Every call also adds the batch's error, weighted by its
    number of samples, to an accumulator read by ``getMeanError()`` and cleared by
    ``resetAccumulator()``.

    A subclass implements ``calcGrad(pred, target)`` and ``calcError(pred, target)`` (or both at
    once in ``calcErrorAndGrad``), and may override ``checkDataShape`` / ``checkValDataShape``.

    Example::

        >>> class MeanAbs(Cost):
        ...     def calcError(self, pred, target):
        ...         return float(abs(target - pred).mean())
        ...     def calcGrad(self, pred, target):   # the negative gradient of the error
        ...         return gpuarray.xp.sign(target - pred) / pred.size
        >>> cost = MeanAbs()
        >>> err, grad = cost(to_gpu(np.array([0.0, 4.0], np.float32)), to_gpu(np.array([1.0, 1.0], np.float32)))
        >>> err, grad.get()
        (2.0, array([ 0.5, -0.5], dtype=float32))
    """

    def __init__(self):
        self.error = None
        self.grad = None
        self.accumErr = 0.0
        self.accumCount = 0
        self._reuse = False
        self._bufs = {}
        self._key = None

    def _label(self):
        return type(self).__name__

    # True while a handler drives the cost over targets whose values _checkTargetsFor has checked
    # whole: the per-batch value checks (each a read of device memory, which waits for the GPU)
    # are then skipped
    _targetsVerified = False

    def _checkTargetsFor(self, module, data, target):
        """Check a whole data set's targets before a handler's first batch (so a bad one is refused
        before any parameter changes); costs whose per-batch checks look at target values override
        it, and return True when they checked what those per-batch checks would. ``data`` and
        ``target`` are whole host or device arrays; the base checks nothing."""
        return False

    def _error(self, message):
        return CostError("%s: %s" % (self._label(), message))

    def _buffer(self, key, shape, dtype):
        """A reused private temporary of the backend's plain array type."""
        k = (key, shape, dtype)
        buf = self._bufs.get(k)
        if buf is None:
            buf = gpuarray.kernels.plain(gpuarray.empty(shape, dtype))
            self._bufs[k] = buf
        return buf

    def _gradBuffer(self, pred):
        """A device array for the gradient: reused while a Trainer drives the cost."""
        return self._gradBufferPair(pred)[0]

    def _gradBufferPair(self, pred):
        """(device array, plain view) for the gradient: reused while a Trainer drives the cost."""
        if self._reuse:
            k = ("grad", pred.shape, pred.dtype)
            pair = self._bufs.get(k)
            if pair is None:
                out = gpuarray.empty(pred.shape, pred.dtype)
                pair = (out, gpuarray.kernels.plain(out))
                self._bufs[k] = pair
            return pair
        out = gpuarray.empty(pred.shape, pred.dtype)
        return out, gpuarray.kernels.plain(out)

    def _checkInputs(self, pred, target, validation=False):
        try:
            key = (pred.shape, pred.dtype, target.shape, target.dtype, validation)
        except AttributeError:
            raise self._error("expected device arrays for prediction and target, got %s and %s" % (
                type(pred).__name__, type(target).__name__)) from None
        if key != self._key:
            if len(pred.shape) == 0 or pred.shape[0] == 0:
                raise self._error("expected a prediction with a non-empty batch axis, got shape %s" % (tuple(pred.shape),))
            if validation:
                self.checkValDataShape(pred.shape, target.shape)
            else:
                self.checkDataShape(pred.shape, target.shape)
            self.checkDataType(pred.dtype, target.dtype)
            self._key = key

    def __call__(self, pred, target, queryError=True):
        if not Config.disableDtypeShapeChecks:
            try:
                checked = (pred.shape, pred.dtype, target.shape, target.dtype, False) == self._key
            except AttributeError:
                checked = False
            if not checked:
                self._checkInputs(pred, target)
        error, grad = self.calcErrorAndGrad(pred, target)
        self.grad = grad
        self._account(error, pred.shape[0])
        if queryError:
            return self.getError(), grad
        return grad

    def _planGrad(self, pred):
        """For a Trainer that replays its step batch after batch: ``(errorAndGrad, grad)``, where
        ``errorAndGrad(target)`` does what ``calcErrorAndGrad`` does for the prediction and the
        given target (a plain array), writing the gradient into the device array ``grad`` (which
        keeps its place) and returning the error. ``pred`` is a plain array that keeps its place,
        or a zero-argument callable returning the current prediction (a device array); see
        ``Module._planStep``. None when the cost can't be planned (the base class plans nothing)."""
        return None

    @staticmethod
    def _plannedPrediction(pred):
        """For ``_planGrad``: (the prediction now, a zero-argument callable giving the prediction of
        the step being replayed as the backend's plain array), from either kind of ``pred``."""
        if callable(pred):
            plain = gpuarray.kernels.plain
            return pred(), lambda: plain(pred())
        return pred, lambda: pred

    def _runsContractOf(self, cls):
        """True when this cost computes what ``cls`` does (no override of its error or gradient)."""
        mine = type(self)
        return all(getattr(mine, method) is getattr(cls, method)
                   for method in ("__call__", "calcErrorAndGrad", "calcError", "calcGrad"))

    def calcErrorAndGrad(self, pred, target):
        return self.calcError(pred, target), self.calcGrad(pred, target)

    def calcError(self, pred, target):
        raise NotImplementedError

    def calcGrad(self, pred, target):
        raise NotImplementedError

    def calcVal(self, pred, target):
        return self.calcError(pred, target)

    def validate(self, pred, target):
        """The error of ``pred`` against ``target`` alone (no gradient; adds to the accumulator)."""
        return gpuarray.kernels.toScalar(self._validate(pred, target))

    def _validate(self, pred, target):
        """``validate`` without reading the error back (a device scalar on the GPU): a Validator's
        batches then never wait for the device."""
        if not Config.disableDtypeShapeChecks:
            self._checkInputs(pred, target, validation=True)
        error = self.calcVal(pred, target)
        self._account(error, pred.shape[0])
        return error

    def _account(self, error, count):
        """Keep a batch's error: the last one in ``error``, weighted by its ``count`` samples in the
        accumulator that ``getMeanError()`` reads."""
        self.error = error
        self.accumErr += error * count
        self.accumCount += count

    def getError(self):
        """The last batch's error (a float)."""
        if self.error is None:
            return None
        return gpuarray.kernels.toScalar(self.error)

    def getMeanError(self):
        """Sample-weighted mean of the batch errors since ``resetAccumulator()``."""
        if self.accumCount == 0:
            return 0.0
        return gpuarray.kernels.toScalar(self.accumErr) / self.accumCount

    def resetAccumulator(self):
        self.accumErr = 0.0
        self.accumCount = 0

    def resetDeviceAccumulator(self):
        self.resetAccumulator()

    def reset(self):
        self.error = None
        self.grad = None

    def _setReuse(self, reuse):
        self._reuse = reuse

    def checkDataShape(self, predShape, targetShape):
        if tuple(predShape) != tuple(targetShape):
            raise self._error("expected target of the prediction's shape %s, got %s" % (tuple(predShape), tuple(targetShape)))

    def checkValDataShape(self, predShape, targetShape):
        self.checkDataShape(predShape, targetShape)

    def checkDataType(self, predDtype, targetDtype):
        if gpuarray.xp.dtype(predDtype).kind != "f":
            raise self._error("expected a floating-point prediction, got dtype %s" % gpuarray.xp.dtype(predDtype).name)
        if predDtype != targetDtype:
            raise self._error("expected target of the prediction's dtype %s, got %s" % (
                gpuarray.xp.dtype(predDtype).name, gpuarray.xp.dtype(targetDtype).name))

    def __str__(self):
        return "%s()" % type(self).__name__

    __repr__ = __str__
