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
    (lambda tmp: ["predict", str(tmp / "model.h5"), "--x-file", str(tmp / "big.txt")],
     "x = 1e+39 is too large for float32"),
    (lambda tmp: ["predict", str(tmp / "model.h5"), "1,2"], "takes 1 value per point (x), got 2: 1,2"),
])
def test_refusals_are_one_line(model, tmp_path, capsys, setup, words):
    (tmp_path / "notes.txt").write_text("not hdf5\n")
    import shutil
    shutil.copy(model, tmp_path / "model.h5")
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


def test_points_outside_the_trained_range_are_warned_about(model, capsys):
    # -100 for a net trained on -3..3 was answered without a word
    assert main(["predict", model, "-100", "0", "2.5"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "puzzlelib predict: warning: 1 of 3 points lie outside the range the model was trained on (x in -3..3): "
        "-100; the net extrapolates there and its answer may be far off"]
    assert len(parse(captured.out)) == 3
    assert main(["predict", model, "0", "2.5"]) == 0
    assert capsys.readouterr().err == ""


def test_three_inputs_train_and_predict_three_values_per_point(tmp_path, capsys):
    rng = np.random.RandomState(1)
    X = rng.uniform(-1, 1, (200, 3))
    y = X[:, 0] + 2 * X[:, 1] * X[:, 2]
    data = tmp_path / "three.csv"
    data.write_text("a,b,c,out\n" + "".join("%r,%r,%r,%r\n" % (*map(float, row), float(t)) for row, t in zip(X, y)))
    out = str(tmp_path / "out")
    status = main(["restore", "--data", str(data), "--inputs", "a,b,c", "--target", "out", "--neurons", "32",
                   "--epochs", "30", "--out", out, "-q"])
    assert status == 0
    import json
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["problem"]["inputs"] == ["a", "b", "c"] and metrics["problem"]["target"] == "out"
    assert metrics["r2"] > 0.9
    capsys.readouterr()
    assert main(["predict", os.path.join(out, "model.h5"), "0.5,0.5,0.5", "0,0,0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "a,b,c,out" and len(lines) == 3
    assert abs(float(lines[1].split(",")[3]) - 1.0) < 0.3
    assert main(["predict", os.path.join(out, "model.h5"), "1,2"]) == 2
    assert "takes 3 values per point (a,b,c), got 2: 1,2" in capsys.readouterr().err


def test_formula_prints_the_net_as_pieces_that_match_it(model, capsys):
    from PuzzleLib.Cli.main import main as run
    assert run(["formula", model, "--digits", "17"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("# %s (y = 2*sin(x)+5, trained on x in -3..3): piecewise linear in " % model)
    # read the pieces back from the text and compare them with the net
    slopes, intercepts, highs = [], [], []
    for line in lines[1:]:
        where, rhs = line.split(": y = ")
        slope, rest = rhs.split("*x ")
        sign, value = rest.split()[:2]
        slopes.append(float(slope))
        intercepts.append(float(value) * (-1 if sign == "-" else 1))
        highs.append(float(where.split("<=")[-1]) if "<=" in where and not where.startswith("x >=") else np.inf)
    x = np.linspace(-4, 4, 801)
    index = np.minimum(np.searchsorted(np.array(highs), x), len(highs) - 1)
    mine = np.array(slopes)[index] * x + np.array(intercepts)[index]
    np.testing.assert_allclose(mine, reference(model, x), rtol=1e-5, atol=1e-4)


def test_formula_refuses_a_curved_net_saying_why(tmp_path, capsys):
    out = str(tmp_path / "tanh")
    assert main(["restore", "x", "--activation", "tanh", "--neurons", "3", "--epochs", "1", "--points", "20",
                 "--out", out, "-q"]) == 0
    capsys.readouterr()
    assert main(["formula", os.path.join(out, "model.h5")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "cannot be written as a piecewise-linear function: its activation tanh is curved" in err[0]
