"""A base for costs that compute their error and gradient in one pass."""
from PuzzleLib.Cost.Cost import Cost


class _FusedCost(Cost):
    """A cost that implements ``calcErrorAndGrad``; ``calcError`` and ``calcGrad`` take their half
    of it (a subclass may still override ``calcError`` with a cheaper error-only path)."""

    def calcError(self, pred, target):
        return self.calcErrorAndGrad(pred, target)[0]

    def calcGrad(self, pred, target):
        return self.calcErrorAndGrad(pred, target)[1]
