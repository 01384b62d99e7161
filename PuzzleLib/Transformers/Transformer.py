"""Transformer: one step of a Provider's data preparation, run in a worker process."""


class Transformer:
    """The base of a data transformation that a Provider runs in its worker processes. A subclass
    implements ``__call__(batch, threadidx)`` and returns the transformed batch with the same
    structure: an array, or a list ``[data, labels]`` (the number of samples may change).
    ``threadidx`` is the index of the piece (0 .. numofthreads-1). Transformers are pickled to the
    workers for every chunk, so they must be picklable, and state they change there is lost. Each
    worker's ``np.random`` and ``random`` are seeded for every piece from the parent's
    ``np.random``, so a seeded program gets the same chunks every run.

    Example::

        >>> class Double(Transformer):
        ...     def __call__(self, batch, threadidx):
        ...         return batch * 2
        >>> Double()(np.ones(2, np.float32), 0)
        array([2., 2.], dtype=float32)
        >>> Transformer()(np.ones(2), 0)   # the base returns the batch unchanged
        array([1., 1.])
    """

    def __call__(self, batch, threadidx):
        return batch

    def __repr__(self):
        return "%s()" % type(self).__name__
