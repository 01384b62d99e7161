"""BatchNorm: batch normalisation of features."""
from PuzzleLib.Modules._norm import BatchNormND


class BatchNorm(BatchNormND):
    """Batch normalisation of features: each feature normalised by its batch mean and variance (train
    mode) or by the running ``mean`` / ``var`` attrs (eval mode), then ``scale * xhat + bias``.

    Parameters
    ----------
    size : int
        Number of features.
    epsilon : float
        Added to the variance.
    initFactor, minFactor : float in (0, 1]
        The running statistics move by ``f = max(initFactor / t, minFactor)`` on the t-th training
        batch: ``mean = (1 - f) * mean + f * batchMean`` (likewise ``var``, unbiased).
        A training batch with one value per feature neither moves them nor counts in t (PyTorch refuses it).
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
    data: (N, size) -> the same. vars "scale", "bias" and attrs "mean", "var": (1, size).
    After a training pass ``savemean`` and ``saveinvvar`` hold that batch's mean and
    ``1 / sqrt(var + epsilon)`` in the same shape (PuzzleLib 1.0's attributes; None before one).

    Example::

        >>> bn = BatchNorm(4)
        >>> bn(to_gpu(np.random.randn(8, 4).astype(np.float32))).shape
        (8, 4)
    """

    nd = 0

    def __init__(self, size, epsilon=1e-05, initFactor=1.0, minFactor=0.1, sscale=0.01, affine=True, name=None,
                 empty=False, inplace=False):
        super().__init__(size, epsilon, initFactor, minFactor, sscale, affine, name, empty, inplace)
