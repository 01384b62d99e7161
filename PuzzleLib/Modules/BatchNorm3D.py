"""BatchNorm3D: batch normalisation of volume maps."""
from PuzzleLib.Modules._norm import BatchNormND


class BatchNorm3D(BatchNormND):
    """Batch normalisation of volume maps: each map normalised by its batch mean and variance (train
    mode) or by the running ``mean`` / ``var`` attrs (eval mode), then ``scale * xhat + bias``.

    Parameters
    ----------
    maps : int
        Number of maps.
    epsilon : float
        Added to the variance.
    initFactor, minFactor : float in (0, 1]
        The running statistics move by ``f = max(initFactor / t, minFactor)`` on the t-th training
        batch: ``mean = (1 - f) * mean + f * batchMean`` (likewise ``var``, unbiased).
        A training batch with one value per map neither moves them nor counts in t (PyTorch refuses it).
    sscale : float
        ``scale`` starts as normal(1, sscale) draws (ones when 0); ``bias`` starts at zeros.
    affine : bool
        Learn ``scale`` and ``bias`` (trained vars); without them ``y = xhat``.
    empty : bool
        Allocate ``scale`` without initialising it.
    inplace : bool
        Accepted for compatibility; the output is always a buffer of the module's own.

    Shape
    -----
    data: (N, maps, D, H, W) -> the same. vars "scale", "bias" and attrs "mean", "var": (1, maps, 1, 1, 1).
    After a training pass ``savemean`` and ``saveinvvar`` hold that batch's mean and
    ``1 / sqrt(var + epsilon)`` in the same shape (PuzzleLib 1.0's attributes; None before one).

    Example::

        >>> bn = BatchNorm3D(3)
        >>> bn(to_gpu(np.random.randn(2, 3, 4, 4, 4).astype(np.float32))).shape
        (2, 3, 4, 4, 4)
    """

    nd = 3

    def __init__(self, maps, epsilon=1e-05, initFactor=1.0, minFactor=0.1, sscale=0.01, affine=True, name=None,
                 empty=False, inplace=False):
        super().__init__(maps, epsilon, initFactor, minFactor, sscale, affine, name, empty, inplace)
