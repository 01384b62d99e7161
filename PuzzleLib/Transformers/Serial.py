"""Serial: walks a data set chunk by chunk, wrapping around at the end."""
import numpy as np

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Provider import Provider


class Serial(Provider):
    """Hands out ``dataset`` (any array-like with ``.shape``, e.g. an h5py dataset, read one chunk
    at a time) sequentially, ``chunksize`` rows per chunk, wrapping around at the end (a wrapped
    chunk is the tail followed by the head); a chunk size of the whole set or more gives the whole
    set each time. With ``labels``, chunks are ``(data, labels)``.

    Parameters
    ----------
    dataset : array-like
        The samples along the first axis.
    labels : array-like, optional
        One label per sample.
    numofthreads : int
        Worker processes (see Provider).

    Example::

        >>> provider = Serial(np.arange(5), labels=np.arange(5) * 10, numofthreads=1)
        >>> for _ in range(2):
        ...     provider.prepareData(chunksize=3)
        ...     print(provider.getData())
        (array([0, 1, 2]), array([ 0, 10, 20]))
        (array([3, 4, 0]), array([30, 40,  0]))
        >>> provider.closePool()
    """

    def __init__(self, dataset, labels=None, numofthreads=4):
        if not hasattr(dataset, "shape") or len(dataset.shape) < 1:
            raise TransformerError("Serial: dataset must be an array-like with a first axis (.shape), got %r" % (
                type(dataset).__name__,))
        if labels is not None and (not hasattr(labels, "shape") or len(labels) != dataset.shape[0]):
            raise TransformerError("Serial: labels must be an array-like with one label per sample (%d), got %s" % (
                dataset.shape[0], getattr(labels, "shape", type(labels).__name__)))
        if dataset.shape[0] == 0:
            raise TransformerError("Serial: dataset is empty")
        super().__init__(numofthreads)
        self.dataset, self.labels = dataset, labels
        self.index = 0

    def getNextChunk(self, chunksize, **kwargs):
        n = self.dataset.shape[0]
        if chunksize >= n:
            rows = slice(0, n)
            data, labels = self.dataset[rows], None if self.labels is None else self.labels[rows]
        elif self.index + chunksize <= n:
            rows = slice(self.index, self.index + chunksize)
            data, labels = self.dataset[rows], None if self.labels is None else self.labels[rows]
            self.index = (self.index + chunksize) % n
        else:
            rest = self.index + chunksize - n
            data = np.concatenate([self.dataset[self.index:], self.dataset[:rest]])
            labels = None if self.labels is None else np.concatenate([self.labels[self.index:], self.labels[:rest]])
            self.index = rest
        data = np.asarray(data)
        return data if labels is None else (data, np.asarray(labels))
