"""InstanceNorm2D: instance normalisation of image maps."""
from PuzzleLib.Modules._norm import InstanceNormND


class InstanceNorm2D(InstanceNormND):
    """Instance normalisation: each sample's map normalised by its own mean and variance over
    (H, W), the same in train and eval mode, then ``scale * xhat + bias``.

    Parameters
    ----------
    numOfMaps : int
        Number of maps (channels).
    epsilon : float
        Added to the variance.
    affine : bool
        Learn ``scale`` (ones at start) and ``bias`` (zeros), shape (1, maps, 1, 1).

    Shape
    -----
    data: (N, maps, H, W) -> the same. After a call ``savemean`` and ``saveinvvar`` hold each
    sample's per-map mean and ``1 / sqrt(var + epsilon)``, shape (N, maps, 1, 1) (PuzzleLib 1.0's
    attributes; None before one).

    Example::

        >>> norm = InstanceNorm2D(3)
        >>> norm(to_gpu(np.random.randn(2, 3, 4, 4).astype(np.float32))).shape
        (2, 3, 4, 4)
    """

    nd = 2

    def __init__(self, numOfMaps, epsilon=1e-05, affine=True, name=None):
        super().__init__(numOfMaps, epsilon, affine, name)
