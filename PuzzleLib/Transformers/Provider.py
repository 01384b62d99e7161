"""Provider: hands out chunks of data, transformed in parallel by worker processes."""
import atexit
import numbers
import weakref

import numpy as np

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers._workers import WorkerPool

_LIVE = weakref.WeakSet()


@atexit.register
def _closeAll():
    for provider in list(_LIVE):
        provider.closePool()


class Provider:
    """The base of Serial, Merger and Generator: ``prepareData`` takes the next chunk from the
    subclass (``getNextChunk(chunksize, **kwargs)``: an array, a tuple of arrays with one first
    axis, or None), splits it along the first axis into ``numofthreads`` pieces (the last takes the
    remainder) and sends them to worker processes, where every added Transformer runs in order on
    each piece; ``getData`` waits for the pieces and joins them in order. Only one chunk is in
    flight at a time, so memory stays bounded by the chunk size, and the intended loop overlaps
    the work: ``prepareData()`` for the next chunk while training on the one ``getData()`` gave.

    Each piece's ``np.random`` and ``random`` are seeded from the parent's ``np.random``, so a
    seeded program gets the same chunks every run (for the same ``numofthreads``). An exception in
    a transformer is raised by ``getData`` as a TransformerError carrying the worker's traceback; a
    worker that dies ends the pipeline with a message. Workers end with the Provider (``with``
    block, ``closePool()``, interpreter exit) and end themselves if the parent process is killed.

    Parameters
    ----------
    numofthreads : int
        Number of worker processes (started here, despite the name, as in PuzzleLib 1.0).

    Returns (from ``getData()``)
    ----------------------------
    Without transformers the chunk as ``getNextChunk`` gave it; with them a tuple of arrays
    (dtypes kept) when the pieces are lists or tuples, else one float32 array.

    Example::

        >>> from PuzzleLib.Transformers.Serial import Serial
        >>> with Serial(np.arange(10, dtype=np.float32).reshape(10, 1), numofthreads=2) as provider:
        ...     provider.prepareData(chunksize=4)
        ...     provider.getData().ravel()
        array([0., 1., 2., 3.], dtype=float32)
    """

    def __init__(self, numofthreads=4):
        if isinstance(numofthreads, bool) or not isinstance(numofthreads, numbers.Integral) or numofthreads <= 0:
            raise TransformerError("%s: numofthreads must be a positive integer, got %r" % (
                type(self).__name__, numofthreads))
        self.numofthreads = int(numofthreads)
        self.transformers = []
        self.data = None
        self.ready = False
        self.pool = WorkerPool(self.numofthreads, type(self).__name__)
        _LIVE.add(self)

    def addTransformer(self, transformer):
        """Appends ``transformer`` (a callable ``(batch, threadidx) -> batch``) to the chain."""
        if not callable(transformer):
            raise TransformerError("%s: a transformer must be callable as t(batch, threadidx), got %r" % (
                type(self).__name__, transformer))
        self.transformers.append(transformer)
        return self

    def getNextChunk(self, chunksize, **kwargs):
        raise NotImplementedError

    def prepareData(self, chunksize=20000, **kwargs):
        """Starts preparing the next chunk of ``chunksize`` samples."""
        if isinstance(chunksize, bool) or not isinstance(chunksize, numbers.Integral) or chunksize <= 0:
            raise TransformerError("%s: chunksize must be a positive integer, got %r" % (
                type(self).__name__, chunksize))
        if self.pool is None or self.pool.closed:
            raise TransformerError("%s: the pool is closed (closePool, the end of a with block or a worker that "
                                   "died)" % type(self).__name__)
        chunk = self.getNextChunk(chunksize, **kwargs)
        if not self.transformers:
            self.data, self.ready = chunk, True
            return
        seeds = np.random.randint(0, 2 ** 31 - 1, size=self.numofthreads)
        pieces = self._split(chunk)
        self.pool.run(list(self.transformers), pieces, [int(s) for s in seeds])
        self.data, self.ready = None, False

    def getData(self):
        """The prepared chunk (waiting for the workers); again the same chunk until the next
        ``prepareData``."""
        if self.ready:
            return self.data
        if self.pool is None or self.pool.pending is None:
            raise TransformerError("%s: getData before prepareData" % type(self).__name__)
        pieces = self.pool.collect()
        self.data, self.ready = self._join(pieces), True
        return self.data

    def _split(self, chunk):
        k = self.numofthreads
        if chunk is None:
            return [None] * k
        if isinstance(chunk, (tuple, list)):
            lengths = {len(part) for part in chunk}
            if len(lengths) != 1:
                raise TransformerError("%s: the parts of a chunk must have one length, got %s" % (
                    type(self).__name__, [len(part) for part in chunk]))
            n = lengths.pop()
        else:
            n = len(chunk)
        step = n // k
        bounds = [(i * step, (i + 1) * step if i < k - 1 else n) for i in range(k)]
        if isinstance(chunk, (tuple, list)):
            return [[np.asarray(part[a:b]) for part in chunk] for a, b in bounds]
        return [np.asarray(chunk[a:b]) for a, b in bounds]

    def _join(self, pieces):
        if all(isinstance(p, (tuple, list)) for p in pieces):
            counts = {len(p) for p in pieces}
            if len(counts) != 1:
                raise TransformerError("%s: the workers' pieces have different numbers of parts %s" % (
                    type(self).__name__, [len(p) for p in pieces]))
            try:
                return tuple(np.concatenate([np.asarray(p[j]) for p in pieces]) for j in range(counts.pop()))
            except ValueError as e:
                raise TransformerError("%s: the workers' pieces do not join: %s" % (type(self).__name__, e)) from e
        if any(isinstance(p, (tuple, list)) for p in pieces) or any(p is None for p in pieces):
            raise TransformerError("%s: the transformers returned %s; every piece must be an array or every "
                                   "piece a list of arrays" % (type(self).__name__, [type(p).__name__ for p in pieces]))
        try:
            return np.concatenate([np.asarray(p) for p in pieces]).astype(np.float32, copy=False)
        except ValueError as e:
            raise TransformerError("%s: the workers' pieces do not join: %s" % (type(self).__name__, e)) from e

    def closePool(self):
        """Ends the worker processes (the Provider cannot prepare data afterwards)."""
        if getattr(self, "pool", None) is not None:
            self.pool.close()
            self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closePool()

    def __del__(self):
        try:
            self.closePool()
        except Exception:
            pass

    def __repr__(self):
        return "%s(numofthreads=%d, transformers=%r)" % (type(self).__name__, self.numofthreads, self.transformers)
