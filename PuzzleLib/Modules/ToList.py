"""ToList: wrap one array into a one-element list (a list passes through as a list)."""
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._validate import typeName


class ToList(Module):
    """Turn the input into a flat list: an array ``x`` gives ``[x]``; a list or tuple gives a
    list, nested lists flattened in order (``[[a, b], c]`` gives ``[a, b, c]``).

    Useful in front of modules and containers that take a list (Parallel, a multi-input Graph,
    DepthConcat). The gradient goes back in the input's form: ``[g]`` gives ``g``, and a flat
    list of gradients is regrouped as the input was nested.

    Parameters
    ----------
    name : str, optional

    Shape
    -----
    x -> [x]; [x_0, [x_1, x_2]] -> [x_0, x_1, x_2].

    Example::

        >>> x = to_gpu(np.zeros((2, 3), np.float32))
        >>> [a.shape for a in ToList()([[x, x[:1]], x])]
        [(2, 3), (1, 3), (2, 3)]
    """

    def __init__(self, name=None):
        super().__init__(name)
        self._layout = None  # the input's nesting: None for one array, else a list of sub-layouts

    def _checkInputList(self, data):
        super()._checkInputList(_flatten(data))

    def updateData(self, data):
        self._layout = _layoutOf(data)
        self.data = _flatten(data) if self._layout is not None else [data]

    def updateGrad(self, grad):
        if not isinstance(grad, (list, tuple)):
            raise self._error("expected a list of gradients (the output is a list), got %s" % typeName(grad))
        if self._layout is None:
            self.grad = grad[0]
        else:
            self.grad = _regroup(list(grad), self._layout)

    def dataShapeFrom(self, shape):
        return _flatten(shape) if isinstance(shape, list) else [shape]

    def gradShapeFrom(self, shape):
        if self._layout is None:
            return shape[0] if len(shape) == 1 else list(shape)
        return _regroup(list(shape), self._layout)


def _flatten(items):
    """Lists and tuples of arrays, nested, as one flat list (a shape, a tuple of ints, is a leaf)."""
    flat = []
    for item in items:
        if isinstance(item, list) or (isinstance(item, tuple) and not _isShape(item)):
            flat.extend(_flatten(item))
        else:
            flat.append(item)
    return flat


def _isShape(item):
    return all(isinstance(n, int) for n in item)


def _layoutOf(data):
    if not isinstance(data, (list, tuple)):
        return None
    return [_layoutOf(item) if isinstance(item, (list, tuple)) else None for item in data]


def _regroup(flat, layout):
    """Rebuild the nesting ``layout`` from the flat list (consumed in order)."""
    out = []
    for sub in layout:
        out.append(flat.pop(0) if sub is None else _regroup(flat, sub))
    return out
