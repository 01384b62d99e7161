"""Small list-taking / list-giving modules used only by the container tests."""
from PuzzleLib.Modules.Module import Module


class SumList(Module):
    """[a, b, ...] -> a + b + ...; gradient: the same array for every input."""

    def updateData(self, data):
        out = data[0].copy()
        for d in data[1:]:
            out = out + d
        self.data = out

    def updateGrad(self, grad):
        self.grad = [grad.copy() for _ in self.inData]

    def dataShapeFrom(self, shape):
        return shape[0]

    def gradShapeFrom(self, shape):
        return [shape, shape]


class Twice(Module):
    """x -> [x, 2x] (a list output)."""

    def updateData(self, data):
        self.data = [data.copy(), data * 2]

    def updateGrad(self, grad):
        self.grad = grad[0] + 2 * grad[1]
