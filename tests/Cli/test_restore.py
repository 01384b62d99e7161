"""``puzzlelib restore`` end to end in a temporary folder: the files, the figure, the metrics
against the model reloaded from model.h5, the tutorial's defaults, and the edge cases."""
import json
import os

import numpy as np
import pytest

from PuzzleLib.Cli.main import _shield, buildParser, main
from PuzzleLib.Cli.restore import makeOptimizer, optimizerClasses
from tests.Cli.conftest import SMALL

DATA_SMALL = [a for a in SMALL if a not in ("--points", "96")]  # --data takes no grid options


def restore(tmp_path, *args, name="out"):
    out = str(tmp_path / name)
    status = main(["restore", *args, "--out", out])
    metrics = None
    if os.path.exists(os.path.join(out, "metrics.json")):
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
    return status, out, metrics


def reloadedPredictions(out, x):
    from PuzzleLib import Blueprint
    from PuzzleLib.Backend.gpuarray import to_gpu

    net = Blueprint.load(os.path.join(out, "model.h5"))
    net.evalMode()
    return net(to_gpu(np.ascontiguousarray(x, dtype=np.float32).reshape(-1, 1))).get()[:, 0].astype(np.float64)


@pytest.fixture
def small(smallRun):
    return smallRun


def test_files_exist_and_png_decodes(small):
    import matplotlib.pyplot as plt

    status, out, metrics = small
    assert status == 0
    assert sorted(os.listdir(out)) == ["metrics.json", "model.h5", "restore.png"]
    image = plt.imread(os.path.join(out, "restore.png"))
    assert image.ndim == 3 and image.shape[0] > 600 and image.shape[1] > 600
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_metrics_match_the_model_reloaded_from_model_h5(small):
    status, out, metrics = small
    x = np.linspace(-3, 3, 96, dtype=np.float32)
    y = (2 * np.sin(x.astype(np.float64)) + 5).astype(np.float32).astype(np.float64)
    pred = reloadedPredictions(out, x)
    assert metrics["finalError"] == pytest.approx(0.5 * np.mean((pred - y) ** 2), rel=1e-6)
    err = np.abs(pred - y)
    assert metrics["maxAbsError"] == pytest.approx(err.max(), rel=1e-5)
    assert metrics["maxAbsErrorAt"] == pytest.approx(float(x[np.argmax(err)]))
    assert metrics["epochsDone"] == metrics["epochs"] == 4 and not metrics["interrupted"]
    assert len(metrics["errorPerEpoch"]) == len(metrics["trainingErrorPerEpoch"]) == 4
    assert metrics["bestError"] == pytest.approx(min(metrics["errorPerEpoch"] + [metrics["finalError"]]))
    assert metrics["steps"] == 4 * 10  # 96 rows in batches of 10
    assert metrics["samplesPerSecond"] > 0 and metrics["trainSeconds"] > 0 and metrics["wallSeconds"] > 0
    import PuzzleLib
    assert metrics["library"]["version"] == PuzzleLib.__version__
    assert metrics["config"]["hidden"] == [12] and metrics["config"]["optimizer"] == "momentum"
    assert metrics["optimizer"].startswith("MomentumSGD")


def test_defaults_are_the_tutorials():
    args = buildParser().parse_args(["restore", "x"])
    assert (args.range, args.points, args.neurons, args.layers) == (None, None, 100, None)
    assert (args.activation, args.optimizer, args.lr, args.epochs, args.batch, args.seed) == \
        ("relu", "momentum", 1e-2, 100, 10, 1234)
    assert args.out == "restore-out" and not args.quiet and not args.compare_scratch


def test_default_run_restores_better_than_the_tutorial(tmp_path, capsys):
    status, out, metrics = restore(tmp_path, "2*sin(x)+5")
    assert status == 0
    # the tutorial ends at a whole-grid error of 0.0011098; standardised, the best epoch is kept
    assert metrics["finalError"] < 1.1e-3 and metrics["r2"] > 0.999
    assert metrics["epochsDone"] == 100 and metrics["data"]["points"] == 1024
    assert metrics["savedEpoch"] == metrics["bestEpoch"]
    assert metrics["finalError"] == pytest.approx(metrics["errorPerEpoch"][metrics["savedEpoch"] - 1], rel=1e-4)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("model.h5 holds the ") and "epoch %d" % metrics["savedEpoch"] in lines[1]


def test_tutorial_gives_the_tutorials_numbers(tmp_path, capsys):
    status, out, metrics = restore(tmp_path, "2*sin(x)+5", "--tutorial")
    printed = capsys.readouterr().out
    assert status == 0 and printed.startswith("whole-grid error 0.0011098 (")
    assert "model.h5 holds the last epoch's net (epoch 100)" in printed
    assert metrics["config"]["normalize"] is False and metrics["attempts"] == [
        {"lr": 0.01, "diverged": False, "epochsDone": 100}]


def test_a_diverging_run_restarts_with_half_the_rate(tmp_path, capsys):
    # seed 2 on the values as they are diverged with the tutorial's rate (4 seeds of 20 did)
    status, out, metrics = restore(tmp_path, "2*sin(x)+5", "--seed", "2", "--normalize", "off", "-q")
    err = capsys.readouterr().err
    assert status == 0 and not metrics["diverged"] and metrics["finalError"] < 1.1e-3
    assert "training diverged (the error is not finite at epoch" in err
    assert "restarting from the same start with half the rate, lr 0.005" in err
    assert metrics["lr"] == 0.005 and [a["diverged"] for a in metrics["attempts"]] == [True, False]


def test_data_holds_out_a_validation_part_and_keeps_the_best_epoch(tmp_path, capsys):
    rng = np.random.RandomState(0)
    xs = np.linspace(-3, 3, 120)
    data = tmp_path / "noisy.csv"
    data.write_text("x,y\n" + "".join("%r,%r\n" % (float(a), float(b))
                                      for a, b in zip(xs, np.sin(xs) + rng.normal(0, 0.1, xs.size))))
    status, out, metrics = restore(tmp_path, "--data", str(data), "--neurons", "16", "--epochs", "30")
    printed = capsys.readouterr().out
    assert status == 0 and metrics["judgedOn"] == "validation"
    assert metrics["problem"]["validationRows"] == 24 and metrics["problem"]["trainRows"] == 96
    assert metrics["data"]["trainedOn"] == 96 and metrics["validation"]["error"] == metrics["finalError"]
    assert printed.startswith("validation error ") and "validation: 24 of 120 rows held out (20%)" in printed
    assert metrics["savedEpoch"] == metrics["bestEpoch"]
    assert metrics["finalError"] == min(e for e in metrics["errorPerEpoch"]) or \
        metrics["finalError"] == pytest.approx(min(metrics["errorPerEpoch"]), rel=1e-4)
    # the saved net judged again from model.h5 on the held-out rows
    rows = np.array([[float(v) for v in line.split(",")] for line in data.read_text().splitlines()[1:]])
    pred = reloadedPredictions(out, rows[:, 0])
    y = rows[:, 1].astype(np.float32).astype(np.float64)
    errors = 0.5 * (pred - y) ** 2
    assert metrics["training"]["error"] < 0.5 and errors.mean() < 0.05
    status, out, metrics = restore(tmp_path, "--data", str(data), "--neurons", "16", "--epochs", "30",
                                   "--patience", "3", "-q", name="patient")
    assert status == 0 and (metrics["stoppedEarly"] or metrics["epochsDone"] == 30)
    if metrics["stoppedEarly"]:
        assert metrics["epochsDone"] - metrics["bestEpoch"] == 3


def test_val_and_tutorial_refuse_what_they_cannot_do(tmp_path, capsys):
    status, out, metrics = restore(tmp_path, "x", "--val", "0.2", "-q")
    assert status == 2 and "--val holds out rows of --data" in capsys.readouterr().err
    status, out, metrics = restore(tmp_path, "x", "--tutorial", "--normalize", "on", "-q")
    assert status == 2 and "--tutorial trains on the values as they are" in capsys.readouterr().err


def test_compare_scratch_with_sgd_matches_the_library(tmp_path, capsys):
    # same start, same batches, same plain SGD: the hand-made float64 net and the library agree
    status, out, metrics = restore(tmp_path, "2*sin(x)+5", "--optimizer", "sgd", "--compare-scratch",
                                   "--points", "96", "--neurons", "12", "--epochs", "6")
    assert status == 0
    assert metrics["scratch"]["steps"] == metrics["steps"] == 60
    assert metrics["scratch"]["finalError"] == pytest.approx(metrics["finalError"], rel=1e-3)
    assert metrics["savedEpoch"] == metrics["epochsDone"]  # the last epoch's net, as the hand-made one
    assert "hand-made numpy net" in capsys.readouterr().out


def test_deeper_net_other_activation_and_optimizer(tmp_path):
    status, out, metrics = restore(tmp_path, "x*x", "--layers", "8,6", "--activation", "TANH",
                                   "--optimizer", "sgd", "--lr", "0.05", "--range", "-1", "1", "--points", "96",
                                   "--epochs", "4", "-q")
    assert status == 0
    assert metrics["config"]["hidden"] == [8, 6] and metrics["config"]["activation"] == "tanh"
    x = np.linspace(-1, 1, 96, dtype=np.float32)
    pred = reloadedPredictions(out, x)
    y = x.astype(np.float64) ** 2
    assert metrics["finalError"] == pytest.approx(0.5 * np.mean((pred - y) ** 2), rel=1e-6)


def test_every_optimizer_the_library_exports_is_accepted():
    classes = optimizerClasses()
    assert classes["sgd"].__name__ == "SGD" and classes["momentum"].__name__ == "MomentumSGD"
    for name, cls in classes.items():
        opt, note = makeOptimizer(name, 1e-2)
        assert type(opt) is cls


def test_unknown_optimizer_is_refused_with_the_list(tmp_path, capsys):
    status, out, metrics = restore(tmp_path, "x", "--optimizer", "nope", *SMALL)
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1
    assert "unknown optimizer 'nope'" in err and "momentum" in err and "sgd" in err


def test_formula_and_numbers_starting_with_minus():
    parser = buildParser()
    args = parser.parse_args(_shield(["restore", "-x**2", "--range", "-1e-1", "2", "-q"], parser))
    assert args.expr == "-x**2" and args.range == [[-0.1, 2.0]] and args.quiet
    args = parser.parse_args(_shield(["restore", "--", "-x"], parser))
    assert args.expr == "-x"


def test_non_finite_points_are_reported_and_left_out(tmp_path, capsys):
    status, out, metrics = restore(tmp_path, "log(x)", *SMALL)
    err = capsys.readouterr().err
    assert status == 0
    assert "not finite" in err and "at 48 of 96 points, x = -3," in err
    assert metrics["data"]["nonFinite"]["count"] == 48 and metrics["data"]["trainedOn"] == 48
    assert metrics["data"]["nonFinite"]["x"][0] == -3.0
    assert np.isfinite(metrics["finalError"])


def test_nothing_finite_is_refused(tmp_path, capsys):
    status, out, metrics = restore(tmp_path, "sqrt(-1-x*x)", *SMALL)
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1 and "nothing left to train on" in err


def test_divergence_is_reported_and_files_still_written(tmp_path, capsys):
    status, out, metrics = restore(tmp_path, "1e30*x", *SMALL, "--tutorial")
    assert status == 1
    assert "diverged" in capsys.readouterr().err
    assert metrics["diverged"] and metrics["finalError"] is None
    assert os.path.exists(os.path.join(out, "restore.png"))


def test_data_file_is_normalised_and_folded_back(tmp_path):
    # measurements in large units: trained on standardised x and y, which model.h5 folds back in
    data = tmp_path / "m.csv"
    xs = np.linspace(0, 50, 40)
    ys = 1000 + 300 * np.sin(xs / 8)
    data.write_text("x,y\n" + "".join("%r,%r\n" % (float(a), float(b)) for a, b in zip(xs, ys)))
    status, out, metrics = restore(tmp_path, "--data", str(data), *DATA_SMALL, "--epochs", "60", "--val", "0")
    assert status == 0 and metrics["data"]["points"] == 40
    assert metrics["data"]["normalized"]["yScale"] == pytest.approx(np.std(ys), rel=1e-5)
    pred = reloadedPredictions(out, xs)
    y = ys.astype(np.float32).astype(np.float64)
    assert metrics["finalError"] == pytest.approx(0.5 * np.mean((pred - y) ** 2), rel=1e-6)
    # the saved (best) epoch's error, measured before folding, is the folded model's error
    assert metrics["errorPerEpoch"][metrics["savedEpoch"] - 1] == pytest.approx(metrics["finalError"], rel=1e-3)
    assert metrics["finalError"] < 0.1 * np.var(ys)  # well below 0.5 * var, the error of a constant fit


@pytest.mark.parametrize("args,words", [
    (["--range", "3", "-3"], "LOW < HIGH"),
    (["--points", "0"], "points must be between 2 and"),
    (["--points", "1"], "points must be between 2 and"),
    (["--range", "1e39", "2e39"], "'1e39' is too large for float32"),
    (["--out", ""], "--out needs a folder name"),
    (["--lr", "-1"], "expected a number > 0"),
    (["--layers", "8,,8"], "layers must be"),
    (["--activation", "swish"], "unknown activation 'swish'"),
    (["--epochs", "many"], "epochs must be a whole number"),
])
def test_bad_options_are_one_line_and_status_2(tmp_path, capsys, args, words):
    with pytest.raises(SystemExit) as info:
        status = main(["restore", "x", "--out", str(tmp_path / "o"), "-q", *args])
        raise SystemExit(status)
    err = capsys.readouterr().err
    assert info.value.code == 2 and len(err.splitlines()) == 1 and words in err, err


def test_data_x_too_large_for_float32_is_refused(tmp_path, capsys):
    data = tmp_path / "big.csv"
    data.write_text("x,y\n1e300,1\n2,2\n3,1\n")
    status, out, metrics = restore(tmp_path, "--data", str(data), *DATA_SMALL)
    err = capsys.readouterr().err
    assert status == 2 and err.splitlines() == [
        "puzzlelib restore: error: %s: x = 1e+300 is too large for float32 (|x| at most 3.403e+38); rescale x" % data]
    assert metrics is None


def test_huge_range_warns_only_through_the_command(tmp_path, capsys):
    # the untrained net overflows on x near 3e38: no numpy RuntimeWarning may leak out
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status, out, metrics = restore(tmp_path, "x", "--range", "1e38", "3e38", *SMALL, "--epochs", "1", "--tutorial")
    err = capsys.readouterr().err
    assert status == 1 and err.splitlines() == [
        "puzzlelib restore: warning: training diverged: the net's predictions are not finite; try a smaller "
        "--lr or --normalize on (files are written all the same)"]


def test_grid_options_with_data_are_refused_not_ignored(tmp_path, capsys):
    # --range and --points were silently ignored with --data, and metrics.json recorded -3 3 / 1024
    data = tmp_path / "m.csv"
    data.write_text("0,1\n1,2\n2,1\n")
    status, out, metrics = restore(tmp_path, "--data", str(data), "--range", "0", "1", "-q")
    err = capsys.readouterr().err
    assert status == 2 and err.splitlines() == [
        "puzzlelib restore: error: --range sets the formula's grid; with --data the x values come from the file"]
    status, out, metrics = restore(tmp_path, "--data", str(data), "--points=5", "-q")
    assert status == 2 and "--points sets the formula's grid" in capsys.readouterr().err
    status, out, metrics = restore(tmp_path, "--data", str(data), "--neurons", "4", "--epochs", "1", "-q")
    assert status == 0 and metrics["config"]["range"] is None and metrics["config"]["points"] is None


def test_predictions_are_the_same_in_chunks_of_rows(monkeypatch):
    # the chunk keeps a wide layer's output bounded (65536 rows x 100000 neurons needed 24 GiB)
    from PuzzleLib.Workbench import engine as restoreModule
    np.random.seed(0)
    net = restoreModule.buildNet([6], "tanh")
    x = np.linspace(-2, 2, 50, dtype=np.float32).reshape(-1, 1)
    whole = restoreModule.predict(net, x)
    monkeypatch.setattr(restoreModule, "PREDICT_ELEMENTS", 6 * 7)  # 7 rows a chunk
    np.testing.assert_allclose(restoreModule.predict(net, x), whole, rtol=1e-5, atol=1e-6)


def test_out_of_memory_is_one_line(monkeypatch, tmp_path, capsys):
    from PuzzleLib.Cli import restore as restoreModule

    def tooBig(cfg, say):
        raise MemoryError("Unable to allocate 24.4 GiB")
    monkeypatch.setattr(restoreModule, "run", tooBig)
    status, out, metrics = restore(tmp_path, "x", "-q")
    assert status == 1 and capsys.readouterr().err.splitlines() == [
        "puzzlelib restore: error: out of memory (Unable to allocate 24.4 GiB); try fewer --points or a smaller net"]


def test_summary_of_a_diverged_run_says_n_a_not_none(tmp_path, capsys):
    status, out, metrics = restore(tmp_path, "1e30*x", *[a for a in SMALL if a != "-q"], "--tutorial")
    printed = capsys.readouterr().out
    assert status == 1 and "None" not in printed
    assert printed.splitlines()[0].startswith("whole-grid error n/a (R2 n/a, RMSE/std(y) n/a; before training ")
    assert "best n/a" in printed.splitlines()[1]


def test_auto_normalizes_a_formula_beyond_the_tutorial_scale(tmp_path, capsys):
    # x**3 on -3..3 diverged with the tutorial's settings and the default --normalize auto
    status, out, metrics = restore(tmp_path, "x**3", *[a for a in SMALL if a != "-q"], "--normalize", "auto")
    err = capsys.readouterr().err
    assert status == 0 and not metrics["diverged"]
    assert metrics["config"]["normalize"] is True and metrics["data"]["normalized"] is not None
    assert "reach 27, beyond +-10: training on standardised x and y" in err
    status, out, metrics = restore(tmp_path, "x**3", *SMALL, "--normalize", "off")
    assert metrics["config"]["normalize"] is False and metrics["data"]["normalized"] is None


def test_auto_leaves_the_tutorial_scale_alone(tmp_path):
    status, out, metrics = restore(tmp_path, "2*sin(x)+5", *SMALL, "--normalize", "auto")
    assert status == 0 and metrics["config"]["normalize"] is False and metrics["data"]["normalized"] is None


def test_ensemble_trains_k_seeds_and_saves_the_lowest(tmp_path, capsys):
    status, out, metrics = restore(tmp_path, "2*sin(x)+5", *[a for a in SMALL if a != "-q"], "--ensemble", "3")
    printed = capsys.readouterr().out
    ens = metrics["ensemble"]
    assert status == 0 and ens["k"] == 3 and ens["seeds"] == [1234, 1235, 1236] and len(ens["errors"]) == 3
    assert ens["savedSeed"] == 1234 + int(np.argmin(ens["errors"]))
    assert metrics["finalError"] == pytest.approx(min(ens["errors"]))
    assert ens["spreadMax"] >= ens["spreadMean"] > 0
    assert "ensemble of 3 nets (seeds 1234..1236)" in printed and "model.h5 is seed %d's" % ens["savedSeed"] in printed


def test_the_extension_past_the_trained_range_is_the_net_and_the_formula():
    from PuzzleLib.Workbench import Problem, Run, Settings
    from PuzzleLib.Workbench.figures import EXTENSION, extension
    run = Run(Problem.fromFormula("x*x", [(-1, 2)], 32), Settings(hidden=[6], epochs=1)).start()
    ext = extension(run)
    assert (ext["low"], ext["high"]) == (-1.0, 2.0)
    xs, pred, true = ext["left"]
    assert xs[0] == pytest.approx(-1 - 3 * EXTENSION) and xs[-1] == -1.0
    np.testing.assert_allclose(true, xs.astype(np.float64) ** 2)
    np.testing.assert_allclose(pred, reloadedPredictionsOf(run.net, xs), rtol=1e-6)


def reloadedPredictionsOf(net, x):
    from PuzzleLib.Workbench.engine import predict
    return predict(net, np.asarray(x, np.float32).reshape(-1, 1))[:, 0]
