"""DepthConcat: concatenate feature maps along channels, centring smaller maps in zero padding."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module

xp = gpuarray.xp


class DepthConcat(Module):
    """Concatenate a list of maps ``(N, C_i, *spatial_i)`` along the channel axis.

    Spatial sizes may differ (as after convolutions with different kernels): each map is placed
    in the centre of a zero-padded map of the largest size on every spatial axis (offset
    ``(max - size) // 2``). Backward cuts each input's gradient back out of the same place.

    Parameters
    ----------
    name : str, optional

    Shape
    -----
    [(N, C_0, H_0, W_0), ..., (N, C_k, H_k, W_k)] -> (N, sum C_i, max H_i, max W_i); any number
    of spatial axes (at least one), the same for every input.

    Example::

        >>> a, b = to_gpu(np.ones((1, 2, 4, 4), np.float32)), to_gpu(np.ones((1, 3, 2, 2), np.float32))
        >>> DepthConcat()([a, b]).shape
        (1, 5, 4, 4)
    """

    def __init__(self, name=None):
        super().__init__(name)
        self._places = None

    def checkDataShape(self, shape):
        if not isinstance(shape, list):
            raise self._error("expected a list of maps (N, C, ...), got one array of shape %s" % (tuple(shape),))
        ndim = len(shape[0])
        if ndim < 3:
            raise self._error("expected maps of at least 3 dims (N, C, spatial...), got shapes %s" % shape)
        for s in shape:
            if len(s) != ndim or s[0] != shape[0][0]:
                raise self._error("expected maps with the same batch size and number of dims, got shapes %s" % shape)

    def _layout(self, shapes):
        spatial = tuple(max(s[i] for s in shapes) for i in range(2, len(shapes[0])))
        places, start = [], 0
        for s in shapes:
            offsets = tuple((m - n) // 2 for m, n in zip(spatial, s[2:]))
            region = (slice(None), slice(start, start + s[1])) + tuple(
                slice(o, o + n) for o, n in zip(offsets, s[2:]))
            places.append(region)
            start += s[1]
        return (shapes[0][0], start) + spatial, places

    def updateData(self, data):
        shape, places = self._layout([tuple(d.shape) for d in data])
        out = self._buffer("data", shape, data[0].dtype)
        if any(tuple(d.shape[2:]) != shape[2:] for d in data):
            out.fill(0)
        for d, region in zip(data, places):
            out[region] = d
        self._places = places
        self.data = out

    def updateGrad(self, grad):
        self.grad = [gpuarray.asDevice(xp.ascontiguousarray(grad[region])) for region in self._places]

    def dataShapeFrom(self, shape):
        return self._layout([tuple(s) for s in shape])[0]

    def gradShapeFrom(self, shape):
        if self.inData is None:
            raise self._error("gradShapeFrom needs the input shapes: run a forward pass first")
        return [tuple(d.shape) for d in self.inData]
