"""Identity: passes data and gradients through unchanged."""
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._args import requireSingle


class Identity(Module):
    """Returns its input as its output (the same array) and the gradient as the input gradient.

    Useful as a placeholder (a skip branch of a Graph, a removed layer).

    Parameters
    ----------
    name : str, optional

    Shape
    -----
    any -> the same.

    Example::

        >>> x = to_gpu(np.ones((2, 3), np.float32))
        >>> Identity()(x) is x
        True
    """

    def __init__(self, name=None):
        super().__init__(name)

    def updateData(self, data):
        self.data = data

    def updateGrad(self, grad):
        self.grad = grad

    def checkDataShape(self, shape):
        requireSingle(self, shape)
