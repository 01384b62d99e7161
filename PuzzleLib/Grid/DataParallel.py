"""DataParallel: a Trainer's epochs spread over the processes of an MPI job."""
import math
import numbers
import os
import sys

import numpy as np

from PuzzleLib.Errors import GridError


class DataParallel:
    """Data-parallel training: each process (rank) trains the same net on its own share of every
    batch, and the gradients are averaged before each step, so N ranks with ``batchsize`` B take
    the steps one process would take with batches of N * B.

    Wrap a Trainer after building it; run the script with ``mpiexec -n N python train.py`` (the
    same script runs unchanged as one process)::

        trainer = Trainer(net, cost, optimizer, batchsize=64)
        trainer = DataParallel(trainer)            # the one added line, with its import
        for epoch in range(10):
            trainer.trainFromHost(data, labels)    # this rank's share of a shuffled epoch
            print(epoch, trainer.cost.getMeanError())   # the mean over all ranks; rank 0 prints

    What it does:

    - every rank starts from rank 0's parameters and module attributes (one broadcast per run of
      adjacent parameters);
    - ``trainFromHost(data, target)`` is one epoch: the samples are shuffled by a permutation all
      ranks agree on (seeded from rank 0's ``np.random``, so ``np.random.seed`` and checkpoints
      decide it), cut into global batches of N * B, and each rank takes its B rows of each. When
      the size does not divide, the last global batch is shared as evenly as possible (a rest
      smaller than N joins the batch before it) and each rank's gradient is weighted by its
      share, so the step is still that of the whole batch;
    - before each step the optimizer averages the gradients over ranks, one allreduce per run of
      adjacent parameters (the whole dtype with ``setupOn(net, useGlobalState=True)``), then runs
      its hooks (clipping, weight decay) on the mean, as one process would (an optimizer given
      ``nodeinfo`` directly runs them first, as PuzzleLib 1.0 did);
    - after the epoch ``cost.getMeanError()`` is the mean over every rank's samples;
    - rank 0 alone writes the files the library writes (``saveCheckpoint``, ``net.save``): a
      checkpoint is written atomically by rank 0 and loads on any number of ranks; with
      ``quietRanks`` the other ranks' standard output is discarded, so ``print`` shows once;
    - with ``syncBatchNorm`` the BatchNorm modules take their batch statistics over the whole
      global batch (one allreduce per module forward and backward), so the running statistics
      are those of one process with the whole batch.

    A rank that raises or dies ends the whole job (see ``PuzzleLib.Grid``).

    .. note:: The costs' gradients are means over the batch (as every cost of the library's
       gives), so averaging the ranks' gradients gives the gradient of the global batch.

    Parameters
    ----------
    trainer : Trainer
        Its ``batchsize`` is the batch of one rank.
    syncBatchNorm : bool
        Batch statistics over all ranks (BatchNorm, BatchNorm1D/2D/3D in the net).
    quietRanks : bool
        Discard the standard output of ranks other than 0.
    node : ParentNode or ChildNode, optional
        Default: this process's node (``PuzzleLib.Grid.gridNode()``).

    Example::

        >>> from PuzzleLib.Cost import MSE
        >>> from PuzzleLib.Handlers import Trainer
        >>> from PuzzleLib.Modules import Linear
        >>> from PuzzleLib.Optimizers import MomentumSGD
        >>> np.random.seed(0)
        >>> net = Linear(1, 1)
        >>> X = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
        >>> trainer = DataParallel(Trainer(net, MSE(), MomentumSGD(learnRate=0.1), batchsize=10))
        >>> trainer.gridsize   # run under `mpiexec -n 2` for two
        1
        >>> for epoch in range(20):
        ...     trainer.trainFromHost(X, 2 * X + 1)
        >>> net.W.get().round(2), net.b.get().round(2)
        (array([[2.]], dtype=float32), array([1.], dtype=float32))
    """

    def __init__(self, trainer, syncBatchNorm=False, quietRanks=True, node=None):
        from PuzzleLib.Grid import _node
        from PuzzleLib.Handlers.Trainer import Trainer
        if not isinstance(trainer, Trainer):
            raise GridError("DataParallel: expected a Trainer, got %s" % type(trainer).__name__)
        self.trainer = trainer
        self.node = _node.currentNode() if node is None else node
        self.comm = self.node.comm
        self.syncBatchNorm = bool(syncBatchNorm)
        self.epoch = 0

        optimizer = trainer.optimizer
        if optimizer.nodeinfo is not None and optimizer.nodeinfo is not self.node:
            raise GridError("DataParallel: the optimizer was given another grid node (%r)" % (optimizer.nodeinfo,))
        optimizer.nodeinfo = self.node
        self.node._meanBeforeHooks = True
        if optimizer.module is None:
            optimizer.setupOn(trainer.module)   # broadcasts rank 0's parameters
        else:
            self.node._broadcastParams(optimizer)
        self._broadcastRest(trainer.module, optimizer)
        if self.syncBatchNorm:
            self._syncNorms(trainer.module)
        if quietRanks and self.node.index != 0:
            sys.stdout = open(os.devnull, "w")

    def __getattr__(self, name):
        # cost, optimizer, module, batchsize, ...: the trainer's
        if name == "trainer":
            raise AttributeError(name)
        return getattr(self.trainer, name)

    @property
    def index(self):
        return self.node.index

    @property
    def gridsize(self):
        return self.node.gridsize

    @property
    def isRoot(self):
        return self.node.index == 0

    def _broadcastRest(self, net, optimizer):
        """Parameters the optimizer does not train and every module attribute (running statistics)."""
        if self.gridsize == 1:
            return
        trained = set(map(id, optimizer.variables()))
        for var in net.getVarTable():
            if id(var) not in trained:
                self.comm.broadcast(var.data)
        for _, mod, _ in net._walk(""):
            for name in sorted(mod.attrs):
                attr = mod.attrs[name]
                if hasattr(attr, "shape") and hasattr(attr, "dtype"):
                    self.comm.broadcast(attr)

    def _syncNorms(self, net):
        from PuzzleLib.Modules._norm import BatchNormND
        found = [mod for _, mod, _ in net._walk("") if isinstance(mod, BatchNormND)]
        for mod in found:
            mod._gridComm = self.comm
        self._norms = found

    # ---- one epoch ----
    def _shares(self, n):
        """[(start, stop) of each global batch in the epoch's order] and this rank's [(start, stop)]
        inside each; the rest of n / (N * B) smaller than N joins the last full batch."""
        N, B = self.gridsize, self.trainer.batchsize
        if n < N:
            raise GridError("DataParallel: %d ranks need at least %d samples, got %d" % (N, N, n))
        G = N * B
        full, rest = divmod(n, G)
        bounds = [(i * G, (i + 1) * G) for i in range(full)]
        if rest:
            if rest < N and bounds:
                bounds[-1] = (bounds[-1][0], n)
            else:
                bounds.append((full * G, n))
        shares = []
        for start, stop in bounds:
            size = stop - start
            base, extra = divmod(size, N)
            r = self.index
            first = start + r * base + min(r, extra)
            shares.append((first, first + base + (1 if r < extra else 0)))
        return bounds, shares

    def _epochOrder(self, n):
        """The permutation of this epoch, the same on every rank: a seed drawn from ``np.random``
        (every rank draws, so equally seeded ranks stay in step) and rank 0's taken."""
        seed = int(np.random.randint(0, 2 ** 31 - 1))
        seed = int(self.comm.broadcastValue(float(seed)))
        return np.random.RandomState(seed).permutation(n)

    def _checkSameSize(self, n):
        sizes = self.comm.gatherValues(n)
        if np.any(sizes != sizes[0]):
            raise GridError("DataParallel: every rank must be given the whole data set; ranks have %s samples" % (
                ", ".join("%d: %d" % (r, s) for r, s in enumerate(sizes.astype(np.int64))),))

    def trainFromHost(self, data, target, macroBatchSize=10000, onMacroBatchFinish=None, random=True):
        """One epoch over (``data``, ``target``): host arrays holding the whole data set, the same
        on every rank; this rank trains on its share. ``random=False`` keeps the given order."""
        self.trainer._checkArrays((data, target), host=True)
        n = int(data.shape[0])
        self._checkSameSize(n)
        order = self._epochOrder(n) if random else np.arange(n)
        bounds, shares = self._shares(n)
        B = self.trainer.batchsize
        weights = [(stop - start) * self.gridsize / (gstop - gstart) for (start, stop), (gstart, gstop)
                   in zip(shares, bounds)]

        # the batches where every rank has B rows go through the Trainer as one run ...
        even = len(shares)
        while even > 0 and (shares[even - 1][1] - shares[even - 1][0] != B or weights[even - 1] != 1.0):
            even -= 1
        if even:
            rows = np.concatenate([order[start:stop] for start, stop in shares[:even]])
            macro = max(B, (int(macroBatchSize) // B) * B)
            self.trainer.trainFromHost(_take(data, rows), _take(target, rows), macroBatchSize=macro,
                                       onMacroBatchFinish=onMacroBatchFinish, random=False)
        else:
            self.trainer._prepare()
        # ... the last, uneven one (if any) on its own, its gradient weighted by this rank's share
        for (start, stop), weight in zip(shares[even:], weights[even:]):
            self._step(_take(data, order[start:stop]), _take(target, order[start:stop]), weight)
        self._averageError()
        self.epoch += 1

    def train(self, data, target, random=True):
        """``trainFromHost`` for device arrays (copied to the host: each rank takes its share)."""
        from PuzzleLib.Backend import gpuarray
        self.trainFromHost(gpuarray.to_host(data), gpuarray.to_host(target), random=random)

    def _step(self, data, target, weight):
        from PuzzleLib.Backend import gpuarray
        trainer = self.trainer
        trainer.module.trainMode()
        grad = trainer.cost(trainer.module(gpuarray.to_gpu(data)), gpuarray.to_gpu(target), queryError=False)
        if weight != 1.0:
            grad *= weight
        trainer.optimizer.zeroGradParams()
        trainer.module.backward(grad, updGrad=False)
        trainer.optimizer.update()
        trainer.module.reset()
        if trainer.onBatchFinish is not None:
            trainer.onBatchFinish(trainer)

    def _averageError(self):
        from PuzzleLib.Backend import gpuarray
        cost = self.trainer.cost
        total, count = self.comm.sumValues([float(gpuarray.kernels.toScalar(cost.accumErr)), cost.accumCount])
        cost.accumErr = float(total)
        cost.accumCount = int(round(count))


def _take(ary, rows):
    if isinstance(ary, np.ndarray):
        return ary[rows]
    # an h5py dataset (or another array-like): rows in increasing order, then put in order
    ordered = np.sort(rows)
    taken = np.asarray(ary[ordered.tolist()])
    return taken[np.searchsorted(ordered, rows)]
