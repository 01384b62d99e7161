"""Multi: several costs at once, one per output of a multi-output net."""
from PuzzleLib import Config
from PuzzleLib.Cost.Cost import Cost
from PuzzleLib.Cost._listcost import _ListCost
from PuzzleLib.Errors import CostError
from PuzzleLib.Modules._validate import typeName


class Multi(_ListCost):
    """Applies ``costs[i]`` to ``pred[i]`` and ``target[i]``. As in PuzzleLib 1.0 the errors come
    one per cost, as a list: ``cost(pred, target)`` returns ``(errors, grads)``, ``error`` and
    ``getError()`` hold the last batch's errors, ``validate`` returns the list of the costs'
    ``validate`` values and ``getMeanError()`` the list of their mean errors (each inner cost keeps
    its own accumulator).

    Build it empty and ``append`` the costs in the order of the net's outputs.

    Shape
    -----
    pred, target: lists with one entry per cost, each as its cost expects.

    Example::

        >>> from PuzzleLib.Cost import MSE, CrossEntropy
        >>> cost = Multi().append(MSE()).append(CrossEntropy())
        >>> out, target = to_gpu(np.zeros((2, 1), np.float32)), to_gpu(np.ones((2, 1), np.float32))
        >>> scores, labels = to_gpu(np.zeros((2, 4), np.float32)), to_gpu(np.array([1, 3], np.int32))
        >>> errors, (g1, g2) = cost([out, scores], [target, labels])
        >>> [round(e, 4) for e in errors]   # MSE's 0.5, CrossEntropy's log(4)
        [0.5, 1.3863]
        >>> g1.shape, g2.shape
        ((2, 1), (2, 4))
    """

    def __init__(self):
        super().__init__()
        self.costs = []

    def append(self, cost):
        """Add a cost for the next output; returns self."""
        if not isinstance(cost, Cost):
            raise CostError("Multi: append expects a Cost, got %s" % type(cost).__name__)
        self.costs.append(cost)
        return self

    def _checkLists(self, pred, target, validation):
        if not self.costs:
            raise self._error("no costs to apply; append one per output first")
        for what, value in (("prediction", pred), ("target", target)):
            if not isinstance(value, (list, tuple)) or len(value) != len(self.costs):
                got = "a list of %d" % len(value) if isinstance(value, (list, tuple)) else typeName(value)
                raise self._error("expected a list of %d arrays as %s (one per cost), got %s" % (
                    len(self.costs), what, got))
        for i, (cost, p, t) in enumerate(zip(self.costs, pred, target)):
            try:
                cost._checkInputs(p, t, validation)
            except CostError as e:
                raise self._error("cost %d (%s): %s" % (i, type(cost).__name__, e)) from e

    def calcErrorAndGrad(self, pred, target):
        errors, grads = [], []
        for cost, p, t in zip(self.costs, pred, target):
            error, grad = cost(p, t)
            errors.append(error)
            grads.append(grad)
        return errors, grads

    def calcVal(self, pred, target):
        return [cost.validate(p, t) for cost, p, t in zip(self.costs, pred, target)]

    def validate(self, pred, target):
        if not Config.disableDtypeShapeChecks:
            self._checkLists(pred, target, True)
        self.error = self.calcVal(pred, target)  # each inner cost accumulates its own
        return list(self.error)

    def _account(self, error, count):
        self.error = error  # each inner cost accumulates its own

    def getError(self):
        """The last batch's errors, one per cost."""
        return None if self.error is None else list(self.error)

    def getMeanError(self):
        """Each cost's sample-weighted mean error since ``resetAccumulator()``, as a list."""
        return [cost.getMeanError() for cost in self.costs]

    def resetAccumulator(self):
        super().resetAccumulator()
        for cost in self.costs:
            cost.resetAccumulator()

    def _setReuse(self, reuse):
        super()._setReuse(reuse)
        for cost in self.costs:
            cost._setReuse(reuse)

    def __str__(self):
        return "Multi(%s)" % ", ".join(str(c) for c in self.costs)

    __repr__ = __str__
