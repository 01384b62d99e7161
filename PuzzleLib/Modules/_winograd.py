"""Winograd F(2x2, 3x3) convolution for 3x3 stride-1 layers on the CPU (private): Conv2D, and Deconv2D
as the convolution with its kernel flipped and its maps swapped.

One output tile of 2x2 positions costs 16 multiplications per (input map, output map) instead of
the 36 of a direct (im2col) product: the input is cut into overlapping 4x4 tiles, transformed
(V = B^T d B), multiplied entry by entry with the transformed kernel (U = G g G^T) summed over
input maps, which is 16 matrix products, and transformed back (Y = A^T M A). The transforms are
numba kernels (``_winogradKernels``); without numba (the ``jit`` extra) ``kernels()`` is None and
the convolutions keep their im2col path.

The backward pass is the transposed algorithm on the same transformed tiles: Z = A dY A^T of the
output gradient, then the weight gradient dU = V^T Z (G^T dU G per kernel) and the input gradient
dV = Z U^T, added back from overlapping tiles (B dV B^T). Float32 only: its rounding error is that
of float32 arithmetic (measured in benchmarks/RESULTS.md, issue 14), float64 keeps the exact path.
"""
import threading

from PuzzleLib.Backend._blas import batchedMatmul as product  # the 16 products, spread over OpenBLAS's threads

enabled = True          # tests turn it off to compare with the im2col path
minMaps = 8             # narrower layers lose or barely win: measured in benchmarks/RESULTS.md (issue 14)
minWork = 1 << 19       # tiles x inmaps x outmaps: below it (LeNet's 16 -> 32 maps on 4x4 at batch 32 is
                        # 1 << 16) the kernels' launches cost more than the products save (issue 14)
_kernels = None
_tried = False
# numba's default threading layer (workqueue) aborts the process when two Python threads launch
# parallel kernels at once (data loaders, a served model): one launch at a time
_launch = threading.Lock()


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


def launch(name, *args):
    """Run the kernel ``name`` of ``kernels()`` on ``args`` (plain, contiguous arrays), one thread at a time."""
    kernel = getattr(_kernels, name)
    with _launch:
        kernel(*args)


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
