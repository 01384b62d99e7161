"""Calculator: a module's outputs over a whole data set, in eval mode."""
import numpy as np

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Handlers.Handler import Handler


class Calculator(Handler):
    """``calc(data)`` returns the outputs as one device array; ``calcFromHost(data)`` as a host
    (numpy) array. Eval mode, in order. A module with several outputs (a list) gives a list of
    such arrays, one per output.

    Parameters
    ----------
    mod : Module
    onBatchFinish : callable(handler), optional
        Called after each batch.
    batchsize : int

    Notes
    -----
    Without ``onBatchFinish``, the later batches of each size replay a captured forward pass
    (the same numbers; see ``PuzzleLib/Handlers/_plan.py``).

    Example::

        >>> from PuzzleLib.Modules import Linear
        >>> lin = Linear(3, 2)
        >>> X = np.random.randn(10, 3).astype(np.float32)
        >>> pred = Calculator(lin, batchsize=4).calcFromHost(X)
        >>> pred.shape, np.allclose(pred, X @ lin.W.get() + lin.b.get())
        ((10, 2), True)
    """

    def __init__(self, mod, onBatchFinish=None, batchsize=128):
        super().__init__(mod, onBatchFinish, batchsize)
        self._parts = None

    def calc(self, data):
        self.module.evalMode()
        self._parts = []
        self._plannedBatches = 0
        self._onDevice = True  # each batch's output is copied on the device, joined there at the end
        try:
            self.handle(data, random=False)
        finally:
            self._onDevice = False
        return self._joined(gpuarray.xp.concatenate, gpuarray.kernels.asDevice)

    def calcFromHost(self, data, macroBatchSize=10000, onMacroBatchFinish=None):
        self.module.evalMode()
        self._parts = []
        self._plannedBatches = 0
        self.handleFromHost(data, macroBatchSize=macroBatchSize, onMacroBatchFinish=onMacroBatchFinish, random=False)
        return self._joined(np.concatenate, lambda ary: ary)

    def _joined(self, concatenate, wrap):
        parts, self._parts = self._parts, None
        if isinstance(parts[0], list):  # a module with several outputs: one array per output
            return [wrap(concatenate(outputs, axis=0)) for outputs in zip(*parts)]
        return wrap(concatenate(parts, axis=0))

    def _keep(self, output):
        """A batch's output as kept until the end: a device copy (calc) or a host one (calcFromHost);
        the module reuses its output buffer for the next batch either way."""
        if self.__dict__.get("_onDevice"):
            if isinstance(output, (list, tuple)):
                return [gpuarray.kernels.plain(out).copy() for out in output]
            return gpuarray.kernels.plain(output).copy()
        return _toHost(output)

    def handleBatch(self, batch, idx, state):
        self._parts.append(self._keep(self.module(batch[0])))

    def _batchRunner(self, arrays, state):
        if type(self).handleBatch is not Calculator.handleBatch or len(arrays) != 1:
            return None
        parts = self._parts
        keep = self._keep

        def consume(output, start, stop):
            parts.append(keep(output))

        return self._forwardRunner(arrays, state, consume)


def _toHost(output):
    """A batch's output as a host array, or a list of them for a module with several outputs."""
    if isinstance(output, (list, tuple)):
        return [gpuarray.to_host(out) for out in output]
    return gpuarray.to_host(output)
