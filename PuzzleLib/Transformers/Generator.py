"""Generator: a Provider whose transformers make the data themselves."""
from PuzzleLib.Transformers.Provider import Provider


class Generator(Provider):
    """A Provider with no data of its own: every worker's transformer chain gets ``None`` and
    creates its piece of the chunk (4 workers each returning (10, 3, 4, 4) give a (40, 3, 4, 4)
    chunk). Each worker's ``np.random`` is seeded from the parent's, so pieces differ and a seeded
    program repeats.

    Parameters
    ----------
    numofthreads : int
        Worker processes (see Provider).

    Notes
    -----
    A transformer class must be importable to reach the workers, so it lives in a module.

    Example::

        >>> gen = Generator(numofthreads=2)
        >>> gen.getNextChunk(100) is None   # what each worker's chain receives
        True
        >>> gen.closePool()

    A transformer ``Make`` in a module, ``return np.full((2, 3), threadidx)``, added with
    ``gen.addTransformer(Make())``, makes ``prepareData(); getData()`` give a (4, 3) float32
    chunk: two rows of 0 and two of 1.
    """

    def getNextChunk(self, chunksize, **kwargs):
        return None
