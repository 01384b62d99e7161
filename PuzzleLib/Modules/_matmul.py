"""Matrix products of float16 operands with more than two axes, as 2-d products (private).

CuPy runs a product of 2-d float16 arrays in cuBLAS on the float16 data with float32 accumulation,
but a product where an operand has more than two axes (a batched or broadcast one) copies both
operands to float32 first and the result back (cupy/cupy#10317): three extra passes over memory at
twice the width. ``matmul`` writes such products as 2-d ones instead:

- ``(..., K) @ (K, M)`` (a shared right operand): one product of the rows, a reshape (no copy when
  the left operand is contiguous);
- ``(M, K) @ (..., K, J)`` (a shared left operand): one product of the right operand's transposed
  rows, ``(B^T a^T)^T``, at the cost of a float16 copy of each side's transpose;
- ``(..., M, K) @ (..., K, J)`` with the same leading axes (GroupLinear's groups): one 2-d product
  per leading index.

Other dtypes, and 2-d products, go to ``xp.matmul`` unchanged.
"""
import itertools

import numpy as np

from PuzzleLib.Backend import gpuarray

xp = gpuarray.xp


def _store(result, out):
    if out is None:
        return result
    out[...] = result
    return out


def matmul(a, b, out=None):
    """``xp.matmul(a, b, out=out)``, with float16 operands of more than two axes as 2-d products."""
    if a.dtype != np.float16 or b.dtype != np.float16 or (a.ndim <= 2 and b.ndim <= 2) or a.ndim < 2 or b.ndim < 2:
        return xp.matmul(a, b, out=out)
    if b.ndim == 2:
        shape = a.shape[:-1] + (b.shape[1],)
        rows = a.reshape(-1, a.shape[-1])
        if out is not None and out.flags.c_contiguous and out.shape == shape:
            xp.matmul(rows, b, out=out.reshape(-1, b.shape[1]))
            return out
        return _store(xp.matmul(rows, b).reshape(shape), out)
    if a.ndim == 2:
        bt = xp.ascontiguousarray(xp.swapaxes(b, -1, -2))                      # (..., J, K)
        r = xp.matmul(bt.reshape(-1, b.shape[-2]), xp.ascontiguousarray(a.T))  # (... * J, M)
        r = xp.swapaxes(r.reshape(b.shape[:-2] + (b.shape[-1], a.shape[0])), -1, -2)
        return _store(r if out is not None else xp.ascontiguousarray(r), out)
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, lead + a.shape[-2:])
    b = xp.broadcast_to(b, lead + b.shape[-2:])
    if out is None or not out.flags.c_contiguous:
        res = xp.empty(lead + (a.shape[-2], b.shape[-1]), dtype=np.float16)
    else:
        res = out
    for idx in itertools.product(*map(range, lead)):
        xp.matmul(a[idx], b[idx], out=res[idx])
    return res if res is out else _store(res, out)
