"""A stand-in for ``cupy.cuda.nccl`` over MPI, shaped as CuPy documents it, for the job that runs
the Communicator's NCCL path without a GPU: ``get_unique_id()`` (bytes), ``NcclCommunicator(ndev,
commId, rank)`` with ``allReduce(sendbuf, recvbuf, count, datatype, op, stream)`` and
``bcast(buff, count, datatype, root, stream)`` on raw pointers, the ``NCCL_*`` constants."""
import ctypes
import os
import sys
import types

import numpy as np
from mpi4py import MPI

NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_UINT32, NCCL_INT64, NCCL_UINT64 = 0, 1, 2, 3, 4, 5
NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 6, 7, 8
NCCL_SUM = 0
_DTYPES = {NCCL_INT8: np.int8, NCCL_UINT8: np.uint8, NCCL_INT32: np.int32, NCCL_UINT32: np.uint32,
           NCCL_INT64: np.int64, NCCL_UINT64: np.uint64, NCCL_FLOAT16: np.float16, NCCL_FLOAT32: np.float32,
           NCCL_FLOAT64: np.float64}
calls = []


def get_unique_id():
    return os.urandom(128)


def _view(ptr, count, datatype):
    dtype = np.dtype(_DTYPES[datatype])
    return np.frombuffer((ctypes.c_char * (count * dtype.itemsize)).from_address(ptr), dtype=dtype)


class NcclCommunicator:
    def __init__(self, ndev, commId, rank):
        comm = MPI.COMM_WORLD
        assert ndev == comm.Get_size() and rank == comm.Get_rank(), (ndev, rank)
        ids = comm.allgather(bytes(commId))
        assert all(i == ids[0] for i in ids), "ranks were given different unique ids"
        self.uniqueId = bytes(commId)
        calls.append(("init", ndev, rank))

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        assert op == NCCL_SUM and stream == 42
        calls.append(("allReduce", count, datatype))
        send = _view(sendbuf, count, datatype).copy()
        MPI.COMM_WORLD.Allreduce(send, _view(recvbuf, count, datatype))

    def bcast(self, buff, count, datatype, root, stream):
        assert stream == 42
        calls.append(("bcast", count, datatype, root))
        MPI.COMM_WORLD.Bcast(_view(buff, count, datatype), root=root)

    def destroy(self):
        calls.append(("destroy",))


class DeviceArray(np.ndarray):
    """A "device" array: numpy memory with CuPy's data.ptr, get and set."""

    @property
    def data(self):
        return types.SimpleNamespace(ptr=self.ctypes.data)

    def get(self):
        return np.array(self)

    def set(self, host):
        if not self.flags.c_contiguous:   # as CuPy's set
            raise RuntimeError("Cannot set to non-contiguous array")
        np.copyto(self, host)


def install(withNccl=True):
    """Make ``import cupy`` and ``from cupy.cuda import nccl`` find the stand-ins (without
    ``withNccl``, a CuPy built without NCCL: the import fails)."""
    nccl = sys.modules[__name__]
    cuda = types.ModuleType("cupy.cuda")
    if withNccl:
        cuda.nccl = nccl
    cuda.get_current_stream = lambda: types.SimpleNamespace(ptr=42)
    cupy = types.ModuleType("cupy")
    cupy.cuda = cuda
    cupy.ascontiguousarray = lambda a: np.ascontiguousarray(a).view(DeviceArray)
    sys.modules.update({"cupy": cupy, "cupy.cuda": cuda})
    if withNccl:
        sys.modules["cupy.cuda.nccl"] = nccl
