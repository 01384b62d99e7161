"""Buffers for elementwise modules with an ``inplace`` option whose backward needs the input."""


def keepInput(mod, data):
    """(x, out): the input to keep for backward and where to write the output.

    In place, the output overwrites ``data``, so ``x`` is a private copy of it; otherwise ``x`` is
    ``data`` itself and ``out`` the module's output buffer.
    """
    if mod.inplace:
        x = mod._scratch("x", data.shape, data.dtype)
        x[...] = data
        return x, data
    return data, mod._buffer("data", data.shape, data.dtype)


def gradTarget(mod, grad):
    """Where to write the input gradient: over ``grad`` in place, else the module's grad buffer."""
    return grad if mod.inplace else mod._buffer("grad", grad.shape, grad.dtype)
