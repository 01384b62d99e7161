"""DataParallel over 2 ranks (mpiexec -n 2) against one process taking the global batches."""
import os
import re

import numpy as np
import pytest

from PuzzleLib.Errors import GridError
from PuzzleLib.Grid import DataParallel
from PuzzleLib.Handlers import Trainer, loadCheckpoint
from tests.Grid import _cases
from tests.Grid.conftest import needsMPI, runJob


@pytest.fixture(scope="module")
def equivalenceRun(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid-equivalence")
    proc, _ = runJob("equivalence", folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


@needsMPI
@pytest.mark.parametrize("case", sorted(_cases.CASES))
def test_two_ranks_of_batch_B_equal_one_process_of_batch_2B(equivalenceRun, case):
    # MSE and CrossEntropy, MomentumSGD and Adam, an MLP and a CNN with BatchNorm2D (statistics
    # synchronised: the running mean and var are those of the whole batch); uneven data sets
    # (23 = 8 + 8 + 4|3, 17 = 8 + 5|4) weight each rank's gradient by its share
    net, cost, opt, X, Y = _cases.build(case)
    opt.setupOn(net)
    meanError = _cases.referenceEpoch(net, cost, opt, X, Y)
    expected = _cases.state(net)
    ranks = [np.load(os.path.join(equivalenceRun, "%s-rank%d.npz" % (case, r))) for r in range(2)]
    for name, value in expected.items():
        np.testing.assert_allclose(ranks[0][name], value, rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_array_equal(ranks[1][name], ranks[0][name], err_msg=name)  # replicas stay equal
    assert float(ranks[0]["meanError"]) == pytest.approx(meanError, rel=1e-6)
    assert float(ranks[1]["meanError"]) == float(ranks[0]["meanError"])


@needsMPI
def test_resume_on_one_rank_from_a_two_rank_checkpoint(tmp_path):
    proc, _ = runJob("resume", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "net-rank0.h5").exists() and not (tmp_path / "net-rank1.h5").exists()  # rank 0 writes
    twoRanks = np.load(tmp_path / "resume-rank0.npz")
    # one process, DataParallel over a grid of one with the global batch, from the checkpoint
    net, cost, opt, X, Y = _cases.build("cnn-ce-momentum")
    trainer = DataParallel(Trainer(net, cost, opt, batchsize=2 * _cases.B), syncBatchNorm=True)
    assert trainer.gridsize == 1
    assert loadCheckpoint(str(tmp_path / "run.ckpt"), net, opt) == 1
    trainer.trainFromHost(X, Y)
    for name, value in _cases.state(net).items():
        np.testing.assert_allclose(value, twoRanks[name], rtol=1e-5, atol=1e-6, err_msg=name)


@needsMPI
@pytest.mark.parametrize("launcher", [False, True], ids=["mpiexec", "python -m PuzzleLib.Grid"])
def test_a_killed_rank_ends_the_job_and_the_last_checkpoint_loads(tmp_path, launcher):
    proc, seconds = runJob("killed", tmp_path, timeout=60, launcher=launcher)
    assert proc.returncode != 0
    assert seconds < 30
    assert "epoch 2 saved" in proc.stdout and "epoch 3 saved" not in proc.stdout
    if launcher:   # mpiexec names the dead process by PID; the launcher names its rank
        assert re.search(r"PuzzleLib.Grid: rank 1 of 2 \(pid \d+\) died \(exit code 9\); the job was ended",
                         proc.stderr), proc.stdout + proc.stderr
    net, cost, opt, X, Y = _cases.build("mlp-mse-momentum")
    assert loadCheckpoint(str(tmp_path / "run.ckpt"), net, opt) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["run.ckpt"]   # no temporary file left behind


@needsMPI
@pytest.mark.parametrize("launcher", [False, True], ids=["mpiexec", "python -m PuzzleLib.Grid"])
def test_a_raising_rank_ends_the_job_naming_the_rank(tmp_path, launcher):
    proc, seconds = runJob("raises", tmp_path, timeout=60, launcher=launcher)
    assert proc.returncode != 0
    assert seconds < 30
    assert "rank 1 of 2 failed with ValueError: a bad batch; ending the job" in proc.stderr
    if launcher:
        assert "PuzzleLib.Grid: rank 1 of 2 failed with ValueError: a bad batch; the job was ended" in proc.stderr


def test_one_process_is_a_grid_of_one_and_equals_the_trainer():
    net, cost, opt, X, Y = _cases.build("mlp-ce-adam")
    trainer = DataParallel(Trainer(net, cost, opt, batchsize=8))
    assert (trainer.index, trainer.gridsize, trainer.isRoot) == (0, 1, True)
    np.random.seed(5)
    trainer.trainFromHost(X, Y)

    ref, refCost, refOpt, _, _ = _cases.build("mlp-ce-adam")
    np.random.seed(5)
    order = _cases.epochOrder(X.shape[0])
    refTrainer = Trainer(ref, refCost, refOpt, batchsize=8)
    refTrainer.trainFromHost(X[order], Y[order], random=False)
    for name, value in _cases.state(ref).items():
        np.testing.assert_array_equal(_cases.state(net)[name], value, err_msg=name)
    assert trainer.cost.getMeanError() == pytest.approx(refTrainer.cost.getMeanError(), rel=1e-12)


def test_refuses_what_is_not_a_trainer():
    with pytest.raises(GridError, match="DataParallel: expected a Trainer, got MSE"):
        from PuzzleLib.Cost import MSE
        DataParallel(MSE())


def test_train_takes_device_arrays_as_trainFromHost_takes_host_ones():
    from PuzzleLib.Backend.gpuarray import to_gpu
    results = []
    for useDevice in (False, True):
        net, cost, opt, X, Y = _cases.build("mlp-mse-momentum")
        trainer = DataParallel(Trainer(net, cost, opt, batchsize=8))
        np.random.seed(5)
        if useDevice:
            trainer.train(to_gpu(X), to_gpu(Y))
        else:
            trainer.trainFromHost(X, Y)
        results.append(_cases.state(net))
    for name, value in results[0].items():
        np.testing.assert_array_equal(results[1][name], value, err_msg=name)
