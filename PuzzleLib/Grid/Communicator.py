"""Communicator: the collectives of a grid, over MPI for host arrays and NCCL for device arrays."""
import numbers

import numpy as np

from PuzzleLib.Errors import GridError

# CuPy's names for NCCL's data types (cupy.cuda.nccl), by numpy dtype name
_NCCL_TYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
               "int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32", "uint32": "NCCL_UINT32",
               "int64": "NCCL_INT64", "uint64": "NCCL_UINT64"}


class Communicator:
    """Collective operations among the processes ("ranks") of a grid.

    Host arrays (numpy, and every array of the CPU backend) travel through MPI (mpi4py); device
    arrays of the CUDA backend through NCCL (``cupy.cuda.nccl``, one communicator per grid, its
    unique id sent from rank 0 over MPI), or staged through the host where CuPy has no NCCL. Every
    rank must make the same calls in the same order. A grid of one process needs no MPI at all.

    Parameters
    ----------
    mpiComm : mpi4py communicator, optional
        Default: ``MPI.COMM_WORLD`` when this process was started by an MPI launcher
        (``mpiexec``), else a grid of this process alone.

    Example::

        >>> comm = Communicator()          # run as `mpiexec -n 2 python ...` for two ranks
        >>> comm.rank, comm.size
        (0, 1)
        >>> x = np.array([1.0, 2.0])
        >>> comm.allreduce(x, average=True)   # in place; here a grid of one
        array([1., 2.])
        >>> comm.meanValue(0.5)
        0.5
    """

    def __init__(self, mpiComm=None):
        from PuzzleLib.Grid import _mpi
        if mpiComm is None and _mpi.launchedByMPI():
            mpiComm = _mpi.loadMPI().COMM_WORLD
        self.mpiComm = mpiComm
        self.rank = mpiComm.Get_rank() if mpiComm is not None else 0
        self.size = mpiComm.Get_size() if mpiComm is not None else 1
        self._nccl = None       # (cupy.cuda.nccl, NcclCommunicator) once made, False if unavailable
        self._MPI = _mpi.loadMPI() if mpiComm is not None else None

    def __repr__(self):
        return "Communicator(rank %d of %d%s)" % (self.rank, self.size, "" if self.mpiComm is not None else ", no MPI")

    # ---- numbers ----
    def sumValues(self, values):
        """The elementwise sum over ranks of a list of numbers (float64), as a numpy array."""
        buf = np.array(values, dtype=np.float64).reshape(-1)
        if self.size > 1:
            self.mpiComm.Allreduce(self._MPI.IN_PLACE, buf, op=self._MPI.SUM)
        return buf

    def meanValue(self, value):
        """The mean over ranks of a number."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            value = _scalar(value)
        return float(self.sumValues([value])[0] / self.size)

    def gatherValues(self, value):
        """Every rank's number (float64), in rank order, on every rank."""
        mine = np.array([value], dtype=np.float64)
        if self.size == 1:
            return mine
        out = np.empty(self.size, dtype=np.float64)
        self.mpiComm.Allgather(mine, out)
        return out

    def broadcastValue(self, value, root=0):
        """Rank ``root``'s number (an int or float, as float64 then back to the given type)."""
        buf = np.array([value], dtype=np.float64)
        if self.size > 1:
            self.mpiComm.Bcast(buf, root=root)
        return type(value)(buf[0])

    def barrier(self):
        if self.size > 1:
            self.mpiComm.Barrier()

    def abort(self, code=1):
        """End every rank of the job now (MPI_Abort); for a rank that cannot go on."""
        if self.mpiComm is not None:
            self.mpiComm.Abort(code)
        raise SystemExit(code)

    # ---- arrays ----
    def allreduce(self, ary, average=False):
        """Replace ``ary`` (a host or device array) on every rank by its sum over ranks (the mean
        with ``average``), in place; returns ``ary``."""
        if self.size == 1:
            return ary
        if _isDevice(ary):
            self._deviceCollective(ary, "allreduce")
        else:
            self._hostCollective(ary, "allreduce")
        if average:
            ary *= 1.0 / self.size
        return ary

    def broadcast(self, ary, root=0):
        """Copy rank ``root``'s ``ary`` into ``ary`` on every other rank, in place; returns ``ary``."""
        if self.size == 1:
            return ary
        if _isDevice(ary):
            self._deviceCollective(ary, "broadcast", root)
        else:
            self._hostCollective(ary, "broadcast", root)
        return ary

    def _hostCollective(self, ary, op, root=0):
        if self.size == 1:
            return
        MPI = self._MPI
        buf = np.asarray(ary)
        staged = not buf.flags.c_contiguous or buf.dtype == np.float16  # MPI has no half type
        work = buf.astype(np.float32 if buf.dtype == np.float16 else buf.dtype, order="C") if staged else buf
        if op == "allreduce":
            self.mpiComm.Allreduce(MPI.IN_PLACE, work, op=MPI.SUM)
        else:
            self.mpiComm.Bcast(work, root=root)
        if staged:
            np.copyto(buf, work, casting="unsafe")

    def _deviceCollective(self, ary, op, root=0):
        nccl = self._ncclComm()
        if nccl is None:
            # no NCCL: through the host
            host = ary.get()
            self._hostCollective(host, op, root)
            if ary.flags.c_contiguous:
                ary.set(host)
            else:  # CuPy's set needs a contiguous target
                from PuzzleLib.Backend import gpuarray
                ary[...] = gpuarray.to_gpu(host)
            return
        module, comm = nccl
        import cupy
        work = ary if ary.flags.c_contiguous else cupy.ascontiguousarray(ary)
        name = _NCCL_TYPES.get(np.dtype(work.dtype).name)
        if name is None:
            raise GridError("Communicator: NCCL cannot reduce arrays of dtype %s" % np.dtype(work.dtype).name)
        dtype = getattr(module, name)
        stream = cupy.cuda.get_current_stream().ptr
        ptr = work.data.ptr
        if op == "allreduce":
            comm.allReduce(ptr, ptr, work.size, dtype, module.NCCL_SUM, stream)
        else:
            comm.bcast(ptr, work.size, dtype, root, stream)
        if work is not ary:
            ary[...] = work

    def _ncclComm(self):
        """(cupy.cuda.nccl, NcclCommunicator), made once for the grid; None where CuPy has no NCCL
        on some rank (all ranks then agree to stage through the host)."""
        if self._nccl is None:
            try:
                from cupy.cuda import nccl
                available = 1.0 if hasattr(nccl, "NcclCommunicator") else 0.0
            except ImportError:
                nccl, available = None, 0.0
            if self.sumValues([available])[0] < self.size:
                self._nccl = False
            else:
                self._nccl = (nccl, nccl.NcclCommunicator(self.size, self._uniqueId(nccl), self.rank))
        return self._nccl or None

    def _uniqueId(self, nccl):
        """NCCL's unique id made on rank 0 and sent to every rank over MPI (as bytes or a tuple of
        ints, whichever CuPy gives)."""
        if self.size == 1:
            return nccl.get_unique_id()
        if self.rank == 0:
            uid = nccl.get_unique_id()
            asBytes = isinstance(uid, (bytes, bytearray))
            values = np.frombuffer(bytes(uid), dtype=np.uint8).astype(np.int64) if asBytes else np.array(uid, np.int64)
            header = np.array([1 if asBytes else 0, values.size], dtype=np.int64)
        else:
            header = np.zeros(2, dtype=np.int64)
        self.mpiComm.Bcast(header, root=0)
        if self.rank != 0:
            values = np.zeros(int(header[1]), dtype=np.int64)
        self.mpiComm.Bcast(values, root=0)
        if header[0]:
            return bytes(values.astype(np.uint8).tobytes())
        return tuple(int(v) for v in values)

    def close(self):
        """Free the NCCL communicator (MPI itself is finalised when the process exits)."""
        if self._nccl:
            self._nccl[1].destroy()
        self._nccl = None


def _isDevice(ary):
    from PuzzleLib.Backend import gpuarray
    return gpuarray.isGPU and not type(ary) is np.ndarray


def _scalar(value):
    if isinstance(value, (str, bytes)):
        raise GridError("meanValue: expected a number, got %s" % type(value).__name__)
    try:
        from PuzzleLib.Backend import gpuarray
        return float(gpuarray.kernels.toScalar(value))
    except Exception:
        raise GridError("meanValue: expected a number, got %s" % type(value).__name__) from None
