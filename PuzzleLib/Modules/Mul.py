"""Mul: the elementwise product of a list of same-shaped arrays."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules._elementwise import _Elementwise

xp = gpuarray.xp


class Mul(_Elementwise):
    """``data = x0 * x1 * ...`` elementwise; input i gets ``grad * prod(x_j, j != i)``.

    Parameters
    ----------
    name : str, optional

    Shape
    -----
    [s, s, ...] -> s; ``backward`` returns a list of gradients, one per input.

    Example::

        >>> a = to_gpu(np.array([[2.0, 3.0]], np.float32))
        >>> Mul()([a, a]).get()
        array([[4., 9.]], dtype=float32)
    """

    def __init__(self, name=None):
        super().__init__(name)

    def updateData(self, data):
        out = self._buffer("data", data[0].shape, data[0].dtype)
        out[...] = data[0]
        for x in data[1:]:
            out *= x
        self.data = out

    def updateGrad(self, grad):
        xs = self.inData
        grads = []
        for i in range(len(xs)):
            g = self._buffer("grad%d" % i, grad.shape, grad.dtype)
            g[...] = grad
            for j, x in enumerate(xs):
                if j != i:
                    g *= x
            grads.append(g)
        self.grad = grads
