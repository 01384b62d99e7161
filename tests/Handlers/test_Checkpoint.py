"""Checkpoints: resuming in a fresh process trains bit for bit like never stopping; bad files
change nothing."""
import io
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from PuzzleLib import Blueprint, Serialization
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Containers import Sequential
from PuzzleLib.Errors import HandlerError, SerializationError
from PuzzleLib.Handlers import loadCheckpoint, saveCheckpoint
from PuzzleLib.Modules import Linear
from PuzzleLib.Optimizers import Adam, MomentumSGD
from tests.Handlers import _resume

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N = 2


@pytest.mark.parametrize("optName", ["Adam", "MomentumSGD"])
def test_resume_in_a_fresh_process_is_bit_exact(tmp_path, optName):
    # 2N epochs straight
    net, opt = _resume.build(optName, seed=3)
    opt.setupOn(net, useGlobalState=True)
    _resume.train(net, opt, 2 * N)
    straight = _resume.snapshot(net, opt)

    # N epochs, a checkpoint, then N more in a fresh process
    net, opt = _resume.build(optName, seed=3)
    opt.setupOn(net, useGlobalState=True)
    _resume.train(net, opt, N)
    checkpoint = str(tmp_path / "run.ckpt")
    saveCheckpoint(checkpoint, net, opt, epoch=N)
    out = str(tmp_path / "resumed.npz")
    # the fresh process runs on this process's backend (bit equality across backends is not promised)
    env = dict(os.environ, PUZZLELIB_BACKEND=gpuarray.backendName,
               PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run([sys.executable, "-m", "tests.Handlers._resume", optName, checkpoint, out, str(N)],
                          cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    resumed = dict(np.load(out))

    assert int(resumed.pop("epoch")) == N
    assert sorted(resumed) == sorted(straight)
    assert any(key.startswith("attr:") for key in straight) and int(straight["t"]) > 0
    for key, value in straight.items():
        np.testing.assert_array_equal(resumed[key], value, err_msg=key)


def _net(seed=0, outsize=2):
    np.random.seed(seed)
    return Sequential().append(Linear(3, 4, initscheme="gaussian")).append(Linear(4, outsize, initscheme="gaussian"))


def _everything(net, opt):
    out = {"random": np.random.get_state()[1].copy(), "t": opt.t, "lr": opt.learnRate}
    for var, names in net.getVarTable().items():
        out[names[0]] = var.data.get()
        for sname, buf in opt.states[var].items():
            out[names[0] + ":" + sname] = buf.get()
    return out


def _assertSame(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _stepped(seed=0, outsize=2):
    net = _net(seed, outsize)
    opt = Adam(alpha=0.1)
    opt.setupOn(net)
    for var in net.getVarTable():
        var.grad.set(np.random.randn(*var.shape).astype(np.float32))
    opt.update()
    return net, opt


def test_round_trip_restores_net_optimizer_epoch_and_random_state(tmp_path):
    net, opt = _stepped()
    path = str(tmp_path / "a.ckpt")
    saveCheckpoint(path, net, opt, 7)
    expected = _everything(net, opt)
    draw = np.random.rand(3)

    other, otherOpt = _net(seed=5), Adam(alpha=0.5)
    assert loadCheckpoint(path, other, otherOpt) == 7        # sets the optimizer up on the net
    assert otherOpt.module is other
    _assertSame(expected, _everything(other, otherOpt))
    np.testing.assert_array_equal(np.random.rand(3), draw)
    assert os.listdir(str(tmp_path)) == ["a.ckpt"]
    # bytes work too, and a net alone
    saved = saveCheckpoint(None, net, None, 0)
    assert loadCheckpoint(saved, _net(seed=6), None) == 0
    # the net can be rebuilt from the checkpoint alone
    rebuilt = Blueprint.load(path)
    for (a, _), (b, _) in zip(net.getVarTable().items(), rebuilt.getVarTable().items()):
        np.testing.assert_array_equal(a.data.get(), b.data.get())


def test_a_mismatched_checkpoint_changes_nothing(tmp_path):
    net, opt = _stepped()
    path = str(tmp_path / "a.ckpt")
    saveCheckpoint(path, net, opt, 3)
    other, otherOpt = _stepped(seed=1, outsize=3)
    wrongOpt = MomentumSGD()
    wrongOpt.setupOn(_net())
    before = _everything(other, otherOpt)
    with pytest.raises(SerializationError, match=r"a\.ckpt.*'\.1\.W' has shape \(4, 2\), the net expects \(4, 3\)"):
        loadCheckpoint(path, other, otherOpt)
    _assertSame(before, _everything(other, otherOpt))

    with pytest.raises(SerializationError, match="state of Adam, not of MomentumSGD"):
        loadCheckpoint(path, wrongOpt.module, wrongOpt)

    saved = open(path, "rb").read()
    with pytest.raises(SerializationError, match="not a readable HDF5 file"):
        loadCheckpoint(saved[: len(saved) // 3], other, otherOpt)
    buf = io.BytesIO(saved)
    with h5py.File(buf, "a") as f:
        del f["random"]["keys"]
        f["random"].create_dataset("keys", data=np.zeros(5, np.uint32))
    with pytest.raises(SerializationError, match="random state's keys has shape"):
        loadCheckpoint(buf.getvalue(), net, opt)
    with pytest.raises(SerializationError, match="not a PuzzleLib checkpoint"):
        loadCheckpoint(net.save(), other, otherOpt)
    _assertSame(before, _everything(other, otherOpt))


def test_a_failed_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    net, opt = _stepped()
    path = str(tmp_path / "a.ckpt")
    saveCheckpoint(path, net, opt, 1)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Serialization, "_writeInto", broken)
    with pytest.raises(SerializationError, match="disk full"):
        saveCheckpoint(path, net, opt, 2)
    monkeypatch.undo()
    assert loadCheckpoint(path, net, opt) == 1
    assert os.listdir(str(tmp_path)) == ["a.ckpt"]


def test_arguments_are_checked():
    net, opt = _stepped()
    with pytest.raises(HandlerError, match="epoch"):
        saveCheckpoint(None, net, opt, -1)
    with pytest.raises(HandlerError, match="epoch"):
        saveCheckpoint(None, net, opt, 1.5)
    with pytest.raises(HandlerError, match="expected a module"):
        saveCheckpoint(None, "net", opt, 1)
    with pytest.raises(HandlerError, match="another module"):
        saveCheckpoint(None, _net(), opt, 1)
    with pytest.raises(HandlerError, match="expected an optimizer"):
        loadCheckpoint(b"", net, "adam")
