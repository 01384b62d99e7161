"""``puzzlelib predict``: a saved net's predictions as x,y lines."""
import os

import numpy as np
import pytest

from PuzzleLib.Cli.main import main


@pytest.fixture
def model(smallRun):
    status, out, metrics = smallRun
    assert status == 0
    return os.path.join(out, "model.h5")


def reference(model, xs):
    from PuzzleLib import Blueprint
    from PuzzleLib.Backend.gpuarray import to_gpu

    net = Blueprint.load(model)
    net.evalMode()
    return net(to_gpu(np.array(xs, dtype=np.float32).reshape(-1, 1))).get()[:, 0]


def parse(out):
    lines = out.strip().splitlines()
    assert lines[0] == "x,y"
    return np.array([[float(v) for v in line.split(",")] for line in lines[1:]])


def test_values_on_the_command_line(model, capsys):
    assert main(["predict", model, "-1.5", "0", "2", "-1e-3"]) == 0
    rows = parse(capsys.readouterr().out)
    np.testing.assert_array_equal(rows[:, 0], [-1.5, 0, 2, -1e-3])
    np.testing.assert_allclose(rows[:, 1], reference(model, [-1.5, 0, 2, -1e-3]), rtol=1e-6)


def test_x_file(model, tmp_path, capsys):
    path = tmp_path / "xs.txt"
    path.write_text("x\n0.5\n# skip\n-2\n")
    assert main(["predict", model, "1", "--x-file", str(path)]) == 0
    rows = parse(capsys.readouterr().out)
    np.testing.assert_array_equal(rows[:, 0], [1, 0.5, -2])
    np.testing.assert_allclose(rows[:, 1], reference(model, [1, 0.5, -2]), rtol=1e-6)


@pytest.mark.parametrize("setup,words", [
    (lambda tmp: ["predict", str(tmp / "missing.h5"), "1"], "does not exist"),
    (lambda tmp: ["predict", str(tmp / "notes.txt"), "1"], "cannot load"),
    (lambda tmp: ["predict", str(tmp / "notes.txt")], "no x values"),
    (lambda tmp: ["predict", str(tmp / "notes.txt"), "abc"], "expected a number"),
    (lambda tmp: ["predict", str(tmp), "1"], "is not a file"),
    (lambda tmp: ["predict", str(tmp / "notes.txt"), "1e39"], "'1e39' is too large for float32"),
    (lambda tmp: ["predict", str(tmp / "notes.txt"), "--x-file", str(tmp / "big.txt")],
     "x = 1e+39 is too large for float32"),
])
def test_refusals_are_one_line(model, tmp_path, capsys, setup, words):
    (tmp_path / "notes.txt").write_text("not hdf5\n")
    (tmp_path / "big.txt").write_text("1\n1e39\n")
    try:
        status = main(setup(tmp_path))
    except SystemExit as e:
        status = e.code
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1 and words in err, err
    assert os.path.exists(model)


def test_backend_option_wins_over_the_environment(model):
    # a fresh process: PUZZLELIB_BACKEND is read when PuzzleLib.Config is first imported, and a bad
    # value there used to fail the command even with --backend cpu given
    import subprocess
    import sys
    env = dict(os.environ, PUZZLELIB_BACKEND="bogus")
    done = subprocess.run([sys.executable, "-m", "PuzzleLib", "predict", model, "0.5", "--backend", "cpu"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert parse(done.stdout)[:, 0].tolist() == [0.5]
