"""Communicator: a grid of one without MPI; MPI and the NCCL path (over a stand-in) with 2 ranks."""
import numpy as np
import pytest

from PuzzleLib.Errors import GridError
from PuzzleLib.Grid import Communicator, ParentNode
from tests.Grid.conftest import needsMPI, runJob


def test_a_process_not_started_by_mpiexec_is_a_grid_of_one():
    comm = Communicator()
    assert (comm.rank, comm.size, comm.mpiComm) == (0, 1, None)
    x = np.array([1.0, 2.0])
    assert comm.allreduce(x, average=True) is x and x.tolist() == [1.0, 2.0]
    assert comm.broadcast(x) is x
    assert comm.meanValue(3) == 3.0
    assert comm.sumValues([1, 2]).tolist() == [1.0, 2.0]
    assert comm.gatherValues(5).tolist() == [5.0]


def test_node_collectives_refuse_what_they_cannot_take():
    node = ParentNode(0, 1, 0, Communicator())
    with pytest.raises(GridError, match="sumTensor: expected an array .* got list"):
        node.sumTensor("grad", [1.0, 2.0])
    with pytest.raises(GridError, match="broadcastBuffer: the name must be a string, got int"):
        node.broadcastBuffer(0, np.zeros(2))
    with pytest.raises(GridError, match="meanValue: expected a number, got str"):
        node.meanValue("1.0")


@needsMPI
def test_device_arrays_go_through_nccl_with_its_unique_id_from_rank_0(tmp_path):
    proc, _ = runJob("nccl", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for rank in range(2):
        out = np.load(tmp_path / ("nccl-rank%d.npz" % rank))
        np.testing.assert_array_equal(out["a"], np.arange(6, dtype=np.float32) * 1.5)   # mean of x1 and x2
        np.testing.assert_array_equal(out["b"], [20.0, 20.0, 20.0])                     # rank 1's
        np.testing.assert_array_equal(out["c"], [[0, 4], [8, 12]])                      # sum, staged
        assert list(out["calls"]) == ["('init', 2, %d)" % rank, "('allReduce', 6, 7)", "('bcast', 3, 8, 1)",
                                      "('allReduce', 4, 8)", "('destroy',)"]


@needsMPI
def test_device_arrays_go_through_the_host_where_cupy_has_no_nccl(tmp_path):
    proc, _ = runJob("staged", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for rank in range(2):
        out = np.load(tmp_path / ("staged-rank%d.npz" % rank))
        np.testing.assert_array_equal(out["a"], np.arange(6, dtype=np.float32) * 1.5)
        np.testing.assert_array_equal(out["b"], [20.0, 20.0, 20.0])
        np.testing.assert_array_equal(out["c"], [[0, 4], [8, 12]])   # strided: CuPy's set refuses it, so copied in
        assert list(out["calls"]) == []
