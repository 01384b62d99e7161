"""DigitsLoader: the 8x8 hand-written digits that ship with scikit-learn (no download)."""
import gzip
import importlib.util
import os

import numpy as np

from PuzzleLib.Errors import DatasetError


class DigitsLoader:
    """Reads the 1797 8x8 grey images of digits 0-9 that scikit-learn ships in its package data.

    The file is read directly (``sklearn/datasets/data/digits.csv.gz``), so neither scikit-learn
    nor SciPy is imported and nothing is downloaded; scikit-learn must only be installed
    (``pip install 'puzzlelib[datasets]'``).

    Parameters
    ----------
    normalize : bool
        Scale the pixel values from 0..16 to 0..1.

    Returns (from ``load``)
    -----------------------
    data: float32 (1797, 1, 8, 8); labels: int32 (1797,), in the file's order.

    Example::

        >>> data, labels = DigitsLoader().load()
        >>> data.shape, labels[:5]
        ((1797, 1, 8, 8), array([0, 1, 2, 3, 4], dtype=int32))
    """

    classes = 10
    shape = (1, 8, 8)

    def __init__(self, normalize=True):
        self.normalize = bool(normalize)

    @staticmethod
    def dataPath():
        """Where scikit-learn keeps the digits file (raises DatasetError if it is not installed)."""
        spec = importlib.util.find_spec("sklearn")
        if spec is None or not spec.submodule_search_locations:
            raise DatasetError("DigitsLoader: the digits come with scikit-learn, which is not installed; "
                               "pip install 'puzzlelib[datasets]' (or scikit-learn)")
        path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data", "digits.csv.gz")
        if not os.path.isfile(path):
            raise DatasetError("DigitsLoader: scikit-learn is installed but has no digits file at %s" % path)
        return path

    def load(self):
        """(data, labels): float32 (N, 1, 8, 8) images and int32 (N,) labels."""
        path = self.dataPath()
        try:
            with gzip.open(path, "rt") as f:
                table = np.loadtxt(f, delimiter=",", dtype=np.float32)
        except (OSError, ValueError) as e:
            raise DatasetError("DigitsLoader: cannot read %s: %s" % (path, e)) from e
        if table.ndim != 2 or table.shape[1] != 65:
            raise DatasetError("DigitsLoader: expected 65 columns (64 pixels and a label) in %s, got shape %s" % (
                path, table.shape))
        data = np.ascontiguousarray(table[:, :64]).reshape(-1, *self.shape)
        if self.normalize:
            data /= 16.0
        labels = table[:, 64].astype(np.int32)
        return data, labels

    def __repr__(self):
        return "DigitsLoader(normalize=%s)" % self.normalize
