"""Jobs the grid tests run under ``mpiexec -n 2`` (one process start for several checks):

    mpiexec -n 2 python -m tests.Grid._job SCENARIO OUTFOLDER

Each rank writes what the test compares to OUTFOLDER/<name>-rank<r>.npz.
"""
import os
import sys

import numpy as np

from PuzzleLib.Grid import DataParallel
from PuzzleLib.Handlers import Trainer, loadCheckpoint, saveCheckpoint
from tests.Grid import _cases


def _save(folder, name, rank, arrays):
    np.savez(os.path.join(folder, "%s-rank%d.npz" % (name, rank)), **arrays)


def equivalence(folder):
    """Each case: one epoch with 2 ranks of batch B (3 global batches, or the uneven ones)."""
    for case in _cases.CASES:
        net, cost, opt, X, Y = _cases.build(case)
        trainer = DataParallel(Trainer(net, cost, opt, batchsize=_cases.B), syncBatchNorm=True)
        trainer.trainFromHost(X, Y)
        arrays = _cases.state(net)
        arrays["meanError"] = np.array(trainer.cost.getMeanError())
        _save(folder, case, trainer.index, arrays)


def resume(folder):
    """Two epochs with a checkpoint after the first; the second epoch's result to compare with a
    single process resuming from the checkpoint."""
    net, cost, opt, X, Y = _cases.build("cnn-ce-momentum")
    trainer = DataParallel(Trainer(net, cost, opt, batchsize=_cases.B), syncBatchNorm=True)
    trainer.trainFromHost(X, Y)
    saveCheckpoint(os.path.join(folder, "run.ckpt"), net, opt, 1)
    net.save(os.path.join(folder, "net-rank%d.h5" % trainer.index))   # rank 0 alone writes files
    trainer.trainFromHost(X, Y)
    _save(folder, "resume", trainer.index, _cases.state(net))


def killed(folder):
    """Checkpoints after each epoch; rank 1 is killed in the middle of the third epoch."""
    net, cost, opt, X, Y = _cases.build("mlp-mse-momentum")
    X, Y = np.tile(X, (4, 1)), np.tile(Y, (4, 1))
    path = os.path.join(folder, "run.ckpt")
    trainer = DataParallel(Trainer(net, cost, opt, batchsize=_cases.B))
    for epoch in range(10):
        if epoch == 2:
            trainer.trainer.onBatchFinish = _killer(trainer.index)
        trainer.trainFromHost(X, Y)
        saveCheckpoint(path, net, opt, epoch + 1)
        print("epoch", epoch + 1, "saved", flush=True)


def _killer(rank):
    count = [0]

    def onBatchFinish(handler):
        count[0] += 1
        if rank == 1 and count[0] == 5:
            import signal
            os.kill(os.getpid(), signal.SIGKILL)
    return onBatchFinish


def raises(folder):
    """Rank 1 raises in the middle of an epoch while rank 0 waits in a collective."""
    net, cost, opt, X, Y = _cases.build("mlp-mse-momentum")
    trainer = DataParallel(Trainer(net, cost, opt, batchsize=_cases.B))

    def onBatchFinish(handler):
        if trainer.index == 1 and handler.currBatch == 1:
            raise ValueError("a bad batch")
    trainer.trainer.onBatchFinish = onBatchFinish
    trainer.trainFromHost(X, Y)


def staged(folder):
    """The device path where CuPy has no NCCL: through the host, a strided array included."""
    nccl(folder, withNccl=False, name="staged")


def nccl(folder, withNccl=True, name="nccl"):
    """The Communicator's device path over the NCCL stand-in (tests/Grid/_fakenccl.py)."""
    import importlib
    module = importlib.import_module("PuzzleLib.Grid.Communicator")  # the file (the package attribute is the class)
    from tests.Grid import _fakenccl
    _fakenccl.install(withNccl)
    module._isDevice = lambda ary: True   # as on the cuda backend
    comm = module.Communicator()
    dev = _fakenccl.DeviceArray
    a = (np.arange(6, dtype=np.float32) * (comm.rank + 1)).view(dev)
    comm.allreduce(a, average=True)
    b = np.full(3, 10.0 * (comm.rank + 1)).view(dev)
    comm.broadcast(b, root=1)
    c = np.arange(8, dtype=np.float64).reshape(2, 4).view(dev)[:, ::2]   # not contiguous: staged
    comm.allreduce(c)
    comm.close()
    _save(folder, name, comm.rank, {"a": np.asarray(a), "b": np.asarray(b), "c": np.asarray(c),
                                      "calls": np.array([repr(call) for call in _fakenccl.calls])})


if __name__ == "__main__":
    globals()[sys.argv[1]](sys.argv[2])
