"""What Upsample2D and Upsample3D share: arguments, interpolation matrices, shapes."""
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._enum import _Choice
from PuzzleLib.Modules._args import requireNdim
from PuzzleLib.Modules._validate import choiceArg, ownerName, positiveInt

xp = gpuarray.xp



class UpsampleMode(_Choice):
    """How Upsample2D and Upsample3D fill the new positions: copies or linear interpolation."""
    nearest = "nearest"
    linear = "linear"


MODES = tuple(member.value for member in UpsampleMode)


def _interpMatrix(size, scale, dtype):
    """(size * scale, size) matrix of linear weights, half-pixel centres, edges clamped."""
    dst = xp.arange(size * scale, dtype=xp.float64)
    src = xp.clip((dst + 0.5) / scale - 0.5, 0.0, size - 1)
    i0 = xp.floor(src).astype(xp.int64)
    i1 = xp.minimum(i0 + 1, size - 1)
    lam = src - i0
    cols = xp.arange(size).reshape(1, size)
    m = (cols == i0.reshape(-1, 1)) * (1.0 - lam).reshape(-1, 1) + (cols == i1.reshape(-1, 1)) * lam.reshape(-1, 1)
    return m.astype(dtype)


class _Upsample(Module):
    """Upsampling of the spatial axes (2 and on) by an integer ``scale``; a subclass sets
    ``_ndim`` and ``_layout`` (e.g. 4, "(N, C, H, W)") and implements ``updateData`` / ``updateGrad``."""

    _ndim = None
    _layout = None

    def __init__(self, scale=2, mode="nearest", name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.scale = positiveInt(owner, "scale", scale)
        self.mode = choiceArg(owner, "mode", mode, MODES)
        self._mats = {}

    def _matrices(self, sizes, dtype):
        """One interpolation matrix per spatial size in ``sizes``, cached."""
        key = (tuple(sizes), xp.dtype(dtype).name)
        mats = self._mats.get(key)
        if mats is None:
            mats = tuple(_interpMatrix(size, self.scale, dtype) for size in sizes)
            self._mats[key] = mats
        return mats

    def checkDataShape(self, shape):
        requireNdim(self, shape, self._ndim, self._layout)

    def dataShapeFrom(self, shape):
        return tuple(shape[:2]) + tuple(size * self.scale for size in shape[2:])

    def gradShapeFrom(self, shape):
        return tuple(shape[:2]) + tuple(size // self.scale for size in shape[2:])

    def calcMode(self, dtype):
        super().calcMode(dtype)
        self._mats.clear()

    def _extraRepr(self):
        return "scale=%d, mode=%s" % (self.scale, self.mode)
