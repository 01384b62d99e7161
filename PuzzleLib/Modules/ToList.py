"""ToList: wrap one array into a one-element list (a list passes through as a list)."""
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._validate import typeName


class ToList(Module):
    """Turn the input into a list: an array ``x`` gives ``[x]``; a list or tuple gives a list.

    Useful in front of modules and containers that take a list (Parallel, a multi-input Graph,
    DepthConcat). The gradient goes back in the input's form: ``[g]`` gives ``g``.

    Parameters
    ----------
    name : str, optional

    Shape
    -----
    x -> [x]; [x_0, ..., x_k] -> [x_0, ..., x_k].

    Example::

        >>> ToList()(to_gpu(np.zeros((2, 3), np.float32)))[0].shape
        (2, 3)
    """

    def __init__(self, name=None):
        super().__init__(name)
        self._wasList = False

    def updateData(self, data):
        self._wasList = isinstance(data, (list, tuple))
        self.data = list(data) if self._wasList else [data]

    def updateGrad(self, grad):
        if not isinstance(grad, (list, tuple)):
            raise self._error("expected a list of gradients (the output is a list), got %s" % typeName(grad))
        self.grad = list(grad) if self._wasList else grad[0]

    def dataShapeFrom(self, shape):
        return list(shape) if isinstance(shape, list) else [shape]

    def gradShapeFrom(self, shape):
        return shape[0] if len(shape) == 1 and not self._wasList else list(shape)
