"""PuzzleLib.Grid's NCCL path on a real GPU, one rank end to end (part (d) of gpu_check.sh).

    PUZZLELIB_BACKEND=cuda python benchmarks/gpu_grid_check.py

A grid of one process never calls NCCL (a collective over one rank changes nothing), so this
check calls the Communicator's device path itself: an NCCL communicator of one rank made from a
unique id, allReduce and bcast on device pointers (float32, float64, float16, a strided array
staged through a contiguous copy), then one epoch of DataParallel training whose every gradient
run goes through NCCL, compared with a plain Trainer on the same batches. Prints one line per
check and exits non-zero on the first failure. Under ``mpiexec -n N`` (one rank per GPU) the
same checks run with N ranks (the sums then count N).
"""
import sys

import numpy as np


def main():
    from PuzzleLib.Backend import gpuarray
    from PuzzleLib.Grid import Communicator
    if not gpuarray.isGPU:
        print("gpu_grid_check: the backend is %s; set PUZZLELIB_BACKEND=cuda" % gpuarray.backendName)
        return 2
    comm = Communicator()
    nccl = comm._ncclComm() if comm.size > 1 else _oneRankNccl(comm)
    print("NCCL communicator: %s" % ("none: CuPy has no NCCL, staged through the host" if nccl is None else
                                     "%d rank(s), this rank %d" % (comm.size, comm.rank)))
    failures = 0
    for dtype in (np.float32, np.float64, np.float16):
        x = gpuarray.to_gpu(np.arange(12, dtype=dtype).reshape(3, 4))
        comm._deviceCollective(x, "allreduce")
        failures += _check("allReduce %s" % np.dtype(dtype).name, x.get(), np.arange(12).reshape(3, 4) * comm.size)
        comm._deviceCollective(x[:, ::2], "broadcast", 0)
        failures += _check("bcast of a strided view %s" % np.dtype(dtype).name, x.get(),
                           np.arange(12).reshape(3, 4) * comm.size)
    failures += _training(comm)
    comm.close()
    print("gpu_grid_check: %s" % ("ok" if failures == 0 else "%d check(s) failed" % failures))
    return 1 if failures else 0


def _oneRankNccl(comm):
    """An NCCL communicator of one rank (what ``_ncclComm`` makes for a grid of several)."""
    try:
        from cupy.cuda import nccl
    except ImportError:
        comm._nccl = False
        return None
    comm._nccl = (nccl, nccl.NcclCommunicator(1, comm._uniqueId(nccl), 0))
    return comm._nccl


def _check(what, got, expected, tol=0.0):
    ok = np.allclose(np.asarray(got, np.float64), np.asarray(expected, np.float64), rtol=tol, atol=tol)
    print("%-40s %s" % (what, "ok" if ok else "FAILED: got %s, expected %s" % (got, expected)))
    return 0 if ok else 1


def _training(comm):
    """One epoch of DataParallel, its gradient runs reduced through NCCL, against a Trainer."""
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Cost import CrossEntropy
    from PuzzleLib.Grid import DataParallel
    from PuzzleLib.Grid._node import makeNode
    from PuzzleLib.Handlers import Trainer
    from PuzzleLib.Modules import Activation, BatchNorm, Linear
    from PuzzleLib.Optimizers import Adam

    def build():
        np.random.seed(3)
        net = Sequential()
        net.append(Linear(16, 32))
        net.append(BatchNorm(32))
        net.append(Activation("relu"))
        net.append(Linear(32, 4))
        return net

    rng = np.random.RandomState(0)
    X = rng.randn(64 * comm.size, 16).astype(np.float32)
    Y = rng.randint(0, 4, size=X.shape[0]).astype(np.int32)

    node = makeNode(comm)
    net = build()
    trainer = DataParallel(Trainer(net, CrossEntropy(), Adam(alpha=0.01), batchsize=8), node=node,
                           syncBatchNorm=True)
    reduce = node._reduceGradients

    def throughNccl(optimizer):   # even with one rank: every run's gradient through allReduce
        for group in optimizer.groups:
            for run in group.runs:
                comm._deviceCollective(run.grad, "allreduce")
                run.grad *= 1.0 / comm.size
    node._reduceGradients = throughNccl
    np.random.seed(5)
    trainer.trainFromHost(X, Y)
    node._reduceGradients = reduce

    ref = build()
    refTrainer = Trainer(ref, CrossEntropy(), Adam(alpha=0.01), batchsize=8 * comm.size)
    np.random.seed(5)
    order = np.random.RandomState(int(np.random.randint(0, 2 ** 31 - 1))).permutation(X.shape[0])
    refTrainer.trainFromHost(X[order], Y[order], random=False)
    failures = 0
    for (var, name), (refVar, _) in zip(net.getVarTable().items(), ref.getVarTable().items()):
        failures += _check("DataParallel epoch: %s" % (name if isinstance(name, str) else name[0]),
                           var.data.get(), refVar.data.get(), tol=1e-5)
    return failures


if __name__ == "__main__":
    sys.exit(main())
