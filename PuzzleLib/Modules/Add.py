"""Add: the elementwise sum of a list of same-shaped arrays."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules._elementwise import _Elementwise

xp = gpuarray.xp


class Add(_Elementwise):
    """``data = x0 + x1 + ...`` for a list of arrays of one shape; each input gets the gradient.

    Parameters
    ----------
    name : str, optional

    Shape
    -----
    [s, s, ...] -> s. ``backward(grad)`` returns a list: the gradient itself for the first input
    and a copy for each other one.

    Example::

        >>> x = to_gpu(np.ones((2, 3), np.float32))
        >>> Add()([x, x, x]).get()[0]
        array([3., 3., 3.], dtype=float32)
    """

    def __init__(self, name=None):
        super().__init__(name)

    def updateData(self, data):
        out = self._buffer("data", data[0].shape, data[0].dtype)
        if len(data) == 1:
            out[...] = data[0]
        else:
            xp.add(data[0], data[1], out=out)
            for x in data[2:]:
                out += x
        self.data = out

    def updateGrad(self, grad):
        grads = [grad]
        for i in range(1, len(self.inData)):
            g = self._buffer("grad%d" % i, grad.shape, grad.dtype)
            g[...] = grad
            grads.append(g)
        self.grad = grads
