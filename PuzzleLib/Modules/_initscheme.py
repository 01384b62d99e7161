"""Weight initialisation schemes shared by Linear and the convolutions.

Values are drawn on the host from numpy's global random generator (so ``np.random.seed`` makes a
net reproducible) and copied to the device.
"""
import math

import numpy as np

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules._enum import _Choice



class InitScheme(_Choice):
    """The weight initialisations (``initscheme=``); ``none`` leaves the weights uninitialised."""
    none = "none"
    xavier = "xavier"
    xavierUniform = "xavier_uniform"
    xavierNormal = "xavier_normal"
    he = "he"
    gaussian = "gaussian"
    uniform = "uniform"


SCHEMES = tuple(member.value for member in InitScheme)
FANS = ("in", "out", "avg")


def parseInitScheme(initscheme, owner):
    """Validate ``initscheme`` (None, a scheme name, or (scheme, fan)) and return (scheme, fan)."""
    fan = "in"
    scheme = initscheme
    if isinstance(initscheme, (tuple, list)):
        if len(initscheme) != 2:
            raise ModuleError("%s: initscheme tuple must be (scheme, fan), got %r" % (owner, initscheme))
        scheme, fan = initscheme
    scheme = getattr(scheme, "value", scheme)
    fan = getattr(fan, "value", fan)
    if scheme is None:
        scheme = "xavier_uniform"
    if scheme not in SCHEMES:
        raise ModuleError("%s: unknown initscheme %r; expected None or one of %s" % (owner, scheme, ", ".join(SCHEMES)))
    if fan not in FANS:
        raise ModuleError("%s: unknown fan mode %r in initscheme; expected one of %s" % (owner, fan, ", ".join(FANS)))
    return scheme, fan


def createTensorWithScheme(initscheme, shape, wscale, fanIn, fanOut, dtype=np.float32, owner="Module"):
    """A device array of ``shape`` initialised by ``initscheme``."""
    scheme, fanMode = parseInitScheme(initscheme, owner)
    if not math.isfinite(wscale):  # numpy's own refusal ("Range exceeds valid bounds") names nothing
        raise ModuleError("%s: wscale must be a finite number, got %r" % (owner, wscale))
    fan = {"in": fanIn, "out": fanOut, "avg": (fanIn + fanOut) / 2.0}[fanMode]
    fan = max(fan, 1)

    if scheme == "xavier_uniform":
        bound = wscale * math.sqrt(3.0 / fan)
        values = np.random.uniform(-bound, bound, size=shape)
    elif scheme in ("xavier", "xavier_normal"):
        values = np.random.normal(0.0, wscale * math.sqrt(1.0 / fan), size=shape)
    elif scheme == "he":
        values = np.random.normal(0.0, wscale * math.sqrt(2.0 / fan), size=shape)
    elif scheme == "gaussian":
        values = np.random.normal(0.0, wscale, size=shape)
    elif scheme == "uniform":
        values = np.random.uniform(-wscale, wscale, size=shape)
    else:
        return gpuarray.paramArena.empty(shape, dtype)
    return gpuarray.paramArena.to_gpu(values.astype(dtype))
