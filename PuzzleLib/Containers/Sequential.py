"""Sequential: modules applied one after another."""
import numbers

from PuzzleLib import Config
from PuzzleLib.Errors import ContainerError
from PuzzleLib.Containers._ordered import _OrderedContainer


class Sequential(_OrderedContainer):
    """Modules applied in order; backward runs them in reverse.

    ``append(mod)`` names an unnamed module by its position ("0", "1", ...); ``seq[i]``,
    ``seq["name"]`` and ``seq[a:b]`` (a new Sequential sharing the modules) look modules up.
    ``backward`` defaults to ``momentum=1.0``: parameter gradients accumulate until the
    optimizer's ``zeroGradParams()``.

    Parameters
    ----------
    name : str, optional
        The container's name (the first part of its parameters' names in a model file).

    Shape
    -----
    Whatever the modules make of it: x -> mod_{n-1}(... mod_0(x)).

    Example::

        >>> from PuzzleLib.Modules import Linear, Activation
        >>> from PuzzleLib.Modules.Activation import relu
        >>> net = Sequential()
        >>> net.append(Linear(1, 100)).append(Activation(relu)).append(Linear(100, 1))
        Sequential() [
          0: Linear(name='0', 1 -> 100)
          1: Activation(name='1', relu)
          2: Linear(name='2', 100 -> 1)
        ]
        >>> net(to_gpu(np.zeros((10, 1), np.float32))).shape
        (10, 1)
    """

    def insert(self, index, mod):
        """Put ``mod`` before position ``index`` (an unnamed one is named by the next free number); returns the container."""
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise ContainerError("%s: insert index %r is not an int" % (self._label(), index))
        if not -len(self.graph) <= index <= len(self.graph):
            raise ContainerError("%s: insert index %d out of range for %d modules" % (self._label(), index, len(self.graph)))
        self._addModule(mod, len(self.graph))
        self.graph.insert(index, mod)
        self._reorder()
        return self

    def pop(self, index=-1):
        """Remove and return the module at position ``index`` (the last by default)."""
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise ContainerError("%s: pop index %r is not an int" % (self._label(), index))
        if not self.graph:
            raise ContainerError("%s: pop from an empty container" % self._label())
        try:
            mod = self.graph.pop(index)
        except IndexError:
            raise ContainerError("%s: pop index %r out of range for %d modules" % (self._label(), index, len(self.graph))) from None
        del self.modules[mod.name]
        return mod

    def _reorder(self):
        self.modules = {mod.name: mod for mod in self.graph}

    def optimizeForShape(self, shape, memlimit=None):
        """Check ``shape`` against each module in turn (see Module.optimizeForShape); returns the
        output shape."""
        for index, mod in enumerate(self.graph):
            try:
                shape = mod.optimizeForShape(shape, memlimit)
            except Exception as e:
                raise self._wrapError(e, index, mod, "optimizeForShape") from e
        return shape

    def __call__(self, data):
        if not self.graph:
            raise ContainerError("%s: no modules to run" % self._label())
        self.inData = data
        index = 0
        try:
            for mod in self.graph:
                data = mod(data)
                index += 1
        except Exception as e:
            raise self._wrapError(e, index, self.graph[index], "forward") from e
        self.data = data
        return data

    def updateData(self, data):
        self(data)

    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=1.0):
        graph = self.graph
        if self.data is None:
            raise ContainerError("%s: backward called before a forward pass" % self._label())
        if not Config.disableDtypeShapeChecks and getattr(grad, "shape", None) != getattr(self.data, "shape", 0):
            if _shapes(grad) != _shapes(self.data):
                raise ContainerError("%s: expected gradient of shape %s (the output's), got %s" % (
                    self._label(), _shapes(self.data), _shapes(grad)))
        index = len(graph) - 1
        try:
            while index >= 0:
                mod = graph[index]
                grad = mod.backward(grad, updParamGrads=updParamGrads, updGrad=updGrad or index > 0,
                                    scale=scale, momentum=momentum)
                index -= 1
        except Exception as e:
            raise self._wrapError(e, index, graph[index], "backward") from e
        self.grad = grad
        return grad

    def _planStep(self, x, needInputGrad, ownsInput):
        """The plans of the modules in order, of either kind; backward in reverse (see Module._planStep)."""
        if not self._runsContractOf(Sequential) or not self.graph:
            return None
        forward = []
        backwards = []
        for index, mod in enumerate(self.graph):
            planned = mod._planStep(x, needInputGrad or index > 0, ownsInput or index > 0)
            if planned is None:
                return None
            ops, x, planBackward = planned
            forward.extend(ops)
            backwards.append(planBackward)

        def planBackward(grad):
            ops = []
            variables = []
            for back in reversed(backwards):
                planned = back(grad)
                if planned is None:
                    return None
                backOps, grad, backVars = planned
                ops.extend(backOps)
                variables.extend(backVars)
            return ops, grad, variables

        return forward, x, planBackward

    def dataShapeFrom(self, shape):
        for mod in self.graph:
            shape = mod.dataShapeFrom(shape)
        return shape

    def gradShapeFrom(self, shape):
        for mod in reversed(self.graph):
            shape = mod.gradShapeFrom(shape)
        return shape



def _shapes(value):
    """The shape of an array, or the list of shapes of a list output (Split, Parallel)."""
    if isinstance(value, (list, tuple)):
        return [_shapes(v) for v in value]
    return tuple(getattr(value, "shape", ()))
