"""Parallel: branches side by side, one input per branch, a list out."""
from PuzzleLib import Config
from PuzzleLib.Containers._ordered import _OrderedContainer
from PuzzleLib.Errors import ContainerError
from PuzzleLib.Modules._validate import typeName


class Parallel(_OrderedContainer):
    """Modules run side by side: branch ``i`` takes ``data[i]`` and gives ``out[i]``.

    ``append(mod)`` adds a branch (an unnamed module is named by its position, "0", "1", ...);
    ``par[i]`` and ``par["name"]`` look branches up; ``par[a:b]`` is a new Parallel of those
    branches (the modules are shared). ``backward`` takes a list of gradients, one
    per branch, defaults to ``momentum=1.0`` like every container, and sets ``grad`` to the list
    of input gradients.

    Parameters
    ----------
    name : str, optional
        The container's name (the first part of its parameters' names in a model file).

    Shape
    -----
    [x_0, ..., x_{k-1}] -> [branch_0(x_0), ..., branch_{k-1}(x_{k-1})]

    Example::

        >>> from PuzzleLib.Modules import Linear, Activation
        >>> par = Parallel().append(Linear(3, 2)).append(Activation("relu"))
        >>> [o.shape for o in par([to_gpu(np.zeros((4, 3), np.float32)), to_gpu(np.zeros((4, 5), np.float32))])]
        [(4, 2), (4, 5)]
    """

    _unit = "branches"

    def _checkList(self, values, what):
        if not isinstance(values, (list, tuple)) or len(values) != len(self.graph):
            got = "a list of %d" % len(values) if isinstance(values, (list, tuple)) else typeName(values)
            raise ContainerError("%s: expected a list of %d %s (one per branch), got %s" % (
                self._label(), len(self.graph), what, got))

    def __call__(self, data):
        if not self.graph:
            raise ContainerError("%s: no branches to run" % self._label())
        self._checkList(data, "input arrays")
        self.inData = data
        self.updateData(data)
        return self.data

    def updateData(self, data):
        outs = []
        for index, (mod, x) in enumerate(zip(self.graph, data)):
            try:
                outs.append(mod(x))
            except Exception as e:
                raise self._wrapError(e, index, mod, "forward") from e
        self.data = outs

    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=1.0):
        if self.data is None:
            raise ContainerError("%s: backward called before a forward pass" % self._label())
        self._checkList(grad, "gradients")
        if not Config.disableDtypeShapeChecks:
            for i, (g, out) in enumerate(zip(grad, self.data)):
                if getattr(g, "shape", None) != getattr(out, "shape", None) and not isinstance(out, (list, tuple)):
                    raise ContainerError("%s: expected gradient of shape %s for branch %d, got %s" % (
                        self._label(), tuple(out.shape), i, getattr(g, "shape", type(g).__name__)))
        grads = []
        for index, (mod, g) in enumerate(zip(self.graph, grad)):
            try:
                grads.append(mod.backward(g, updParamGrads=updParamGrads, updGrad=updGrad, scale=scale,
                                          momentum=momentum))
            except Exception as e:
                raise self._wrapError(e, index, mod, "backward") from e
        self.grad = grads if updGrad else None
        return self.grad

    def dataShapeFrom(self, shape):
        self._checkList(shape, "input shapes")
        return [mod.dataShapeFrom(s) for mod, s in zip(self.graph, shape)]

    def gradShapeFrom(self, shape):
        self._checkList(shape, "gradient shapes")
        return [mod.gradShapeFrom(s) for mod, s in zip(self.graph, shape)]

