"""Winograd F(2x2, 3x3) convolution for 3x3 stride-1 layers on the CPU (private): Conv2D, and Deconv2D
as the convolution with its kernel flipped and its maps swapped.

One output tile of 2x2 positions costs 16 multiplications per (input map, output map) instead of
the 36 of a direct (im2col) product: the input is cut into overlapping 4x4 tiles, transformed
(V = B^T d B), multiplied entry by entry with the transformed kernel (U = G g G^T) summed over
input maps, which is 16 matrix products, and transformed back (Y = A^T M A). The transforms are
numba kernels (``_winogradKernels``); without numba (the ``jit`` extra) ``kernels()`` is None and
the convolutions keep their im2col path.

The backward pass is the transposed algorithm: Z = A dY A^T of the output gradient, then the
weight gradient dU = V^T Z (G^T dU G per kernel) and the input gradient dV = Z U^T, added back from
overlapping tiles (B dV B^T). Float32 only: its rounding error is that of float32 arithmetic
(measured in benchmarks/RESULTS.md, issue 14), float64 keeps the exact path.

Every pass runs a block at a time (whole samples, or a sample's rows of tiles where one sample's
tiles exceed BLOCK_BYTES): the block's tiles are transformed, multiplied (one OpenBLAS thread) and
transformed back while they are still in cache, and the blocks are spread over the threads of
``Backend._jit``; the backward pass computes the input gradient and dU in the same pass. Transforming
the whole batch first wrote tiles four times the size of the data to memory and read them back (33.5
MB each way for a 32 -> 32 layer on 32 x 32 maps at batch 64); block by block the VGG-style step of
benchmarks/ went 86-92 -> 63 ms a step (benchmarks/RESULTS.md, issue 14, session 14).
"""
import math
import threading
from functools import partial

import numpy as np

from PuzzleLib.Backend import _jit

enabled = True          # tests turn it off to compare with the im2col path
minMaps = 8             # narrower layers lose or barely win: measured in benchmarks/RESULTS.md (issue 14)
minWork = 1 << 13       # tiles x inmaps x outmaps: below it the passes' own costs match what the products save
                        # (forward + backward against im2col, issue 14: 16 -> 32 maps on 4x4, batch 2 (1 << 12)
                        # 0.094 / 0.089 ms, batch 4 0.123 / 0.101, batch 32 (LeNet's layer) 0.579 / 0.286)
BLOCK_BYTES = 1 << 21   # a block's tiles, transformed in and out together (1-4 MiB measured alike)
GROUPS = 8              # the backward pass's groups of blocks: as many partial sums of dU (16, C, O)
_kernels = None
_tried = False
_local = threading.local()  # .buffers: name -> a flat scratch array of this thread (freed with the thread)


def kernels():
    """The numba kernels module, or None where numba is not installed (imported on first use)."""
    global _kernels, _tried
    if not _tried:
        _tried = True
        try:
            from PuzzleLib.Modules import _winogradKernels
        except ImportError:
            _winogradKernels = None
        else:
            from PuzzleLib.Backend._blas import shortenThreadTimeout
            shortenThreadTimeout()  # OpenBLAS's idle threads would spin on the cores these kernels use
        _kernels = _winogradKernels
    return _kernels


def tiles(outShape):
    """(th, tw): the 2x2 output tiles per column and per row, the last ones possibly cut."""
    return (outShape[0] + 1) // 2, (outShape[1] + 1) // 2


def transformedWeights(W, out):
    """U = G W[o, c] G^T for every (o, c) of W (O, C, 3, 3), into ``out`` (16, C, O): the numbers of the
    products with G (tests/Modules/test_winograd.py compares them), in one compiled pass."""
    _kernels.weightTransform(W, out)
    return out


def weightGradient(dUT, out):
    """The kernel gradient G^T dU[o, c] G from dU (16, C, O), into ``out`` (O, C, 3, 3)."""
    _kernels.kernelGradient(dUT, out)
    return out


def _buffer(name, shape, dtype):
    """A contiguous scratch array of the calling thread (reused from call to call)."""
    buffers = _local.__dict__.setdefault("buffers", {})
    size = math.prod(shape)
    buf = buffers.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = buffers[name] = np.empty(size, dtype)
    return buf[:size].reshape(shape)


def _blocks(N, th, tw, C, O):
    """[(n0, n1, ty0, ty1)]: the rows of tiles ty0 .. ty1 - 1 of samples n0 .. n1 - 1, blocks whose tiles in
    and out take about BLOCK_BYTES: whole samples where one fits, else a sample's rows of tiles in
    nearly equal parts."""
    rows = max(1, BLOCK_BYTES // (16 * tw * (C + O) * 4))
    if rows >= th:
        per = rows // th
        return [(n0, min(N, n0 + per), 0, th) for n0 in range(0, N, per)]
    parts = -(-th // rows)
    return [(n, n + 1, th * k // parts, th * (k + 1) // parts) for n in range(N) for k in range(parts)]


def forward(x, U, bias, y, padH, padW, th, tw):
    """y = the convolution of x (N, C, H, W) by the kernels transformed into U (16, C, O), plus bias (O,)."""
    N, C = x.shape[:2]
    O = y.shape[1]

    def block(n0, n1, ty0, ty1):
        P = (n1 - n0) * (ty1 - ty0) * tw
        V = _buffer("V", (16, P, C), x.dtype)
        M = _buffer("M", (16, P, O), x.dtype)
        _kernels.inputBlock(x, V, padH, padW, th, tw, n0, n1, ty0, ty1)
        np.matmul(V, U, out=M)
        _kernels.outputBlock(M, bias, y, th, tw, n0, n1, ty0, ty1)

    _jit.splitProducts([partial(block, *b) for b in _blocks(N, th, tw, C, O)])


def backward(x, g, U, dx, dU, padH, padW, th, tw):
    """For the output gradient g (N, O, Ho, Wo) of ``forward(x, U, ...)``: the input gradient into dx
    (N, C, H, W) and the gradient of U into dU (16, C, O), either of them None when not wanted; one pass
    over the blocks for both (each block's Z = A dY A^T serves the two products). A block that starts
    inside a sample also transforms the row of tiles above it for the input gradient (the rows of dx
    that the two share get their sums in one block, in the order of an unblocked pass). dU is summed
    per group of blocks (at most GROUPS, spread over the threads), then over the groups in their
    order: the numbers do not depend on which thread took which group."""
    N, C = x.shape[:2]
    O = g.shape[1]
    blocks = _blocks(N, th, tw, C, O)
    groups = [blocks[len(blocks) * k // GROUPS:len(blocks) * (k + 1) // GROUPS] for k in range(GROUPS)]
    groups = [group for group in groups if group]
    if dx is not None:
        UT = _buffer("UT", (16, O, C), U.dtype)
        UT[...] = U.transpose(0, 2, 1)  # contiguous: its products 1.4x faster than through the transposed view
    if dU is not None:
        parts = _buffer("parts", (len(groups), 16, C, O), dU.dtype)

    def run(k):
        for i, (n0, n1, ty0, ty1) in enumerate(groups[k]):
            seed = ty0 - 1 if dx is not None and ty0 > 0 else ty0
            Z = _buffer("Z", (16, (n1 - n0) * (ty1 - seed) * tw, O), g.dtype)
            _kernels.gradBlock(g, Z, th, tw, n0, n1, seed, ty1)
            if dU is not None:
                P = (n1 - n0) * (ty1 - ty0) * tw
                V = _buffer("V", (16, P, C), x.dtype)
                _kernels.inputBlock(x, V, padH, padW, th, tw, n0, n1, ty0, ty1)
                part = parts[k] if i == 0 else _buffer("dU", (16, C, O), dU.dtype)
                np.matmul(V.transpose(0, 2, 1), Z[:, Z.shape[1] - P:], out=part)
                if i > 0:
                    parts[k] += part
            if dx is not None:
                dV = _buffer("dV", (16, Z.shape[1], C), g.dtype)
                np.matmul(Z, UT, out=dV)
                _kernels.adjointBlock(dV, dx, padH, padW, th, tw, n0, n1, seed, ty0, ty1)

    _jit.splitProducts([partial(run, k) for k in range(len(groups))])
    if dU is not None:
        np.sum(parts, axis=0, out=dU)
