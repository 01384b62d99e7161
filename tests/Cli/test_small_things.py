"""The small things a new user met: each fixed, each checked here (see also test_formula's caret,
test_csvdata's three columns, test_predict's range warning, test_figures' plural, the backend's log)."""
import os
import subprocess
import sys
import warnings

from PuzzleLib.Cli.main import main


def _status(argv):
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


def test_unknown_option_names_the_subcommand_and_suggests_the_closest(capsys):
    # it said "puzzlelib: error: unrecognized arguments: --epoch 5"
    assert _status(["restore", "x", "--epoch", "5"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["puzzlelib restore: error: unrecognized arguments: --epoch 5; did you mean --epochs? "
                   "(see puzzlelib restore --help)"]
    assert _status(["predict", "m.h5", "--xfile", "a"]) == 2
    assert "puzzlelib predict: error: unrecognized arguments: --xfile a; did you mean --x-file?" in capsys.readouterr().err


def test_version_and_help_with_examples(capsys):
    import PuzzleLib
    assert _status(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "puzzlelib %s" % PuzzleLib.__version__
    assert _status(["restore", "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and 'puzzlelib restore "2*sin(x)+5" --tutorial' in out
    assert _status(["--help"]) == 0
    assert "puzzlelib formula restore-out/model.h5" in capsys.readouterr().out


def test_no_numpy_warning_leaks_from_a_wide_exp(tmp_path, capsys):
    # restore "exp(x)" --range 0 100 printed numpy RuntimeWarnings (overflow) from the Trainer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status = main(["restore", "exp(x)", "--range", "0", "100", "--points", "64", "--neurons", "8",
                       "--epochs", "2", "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert status in (0, 1) and "RuntimeWarning" not in err and "Traceback" not in err
    assert all(line.startswith("puzzlelib restore: warning: ") for line in err.splitlines())


def test_zero_epochs_draws_no_bar_and_says_the_net_is_untrained(tmp_path, capsys):
    # --epochs 0 drew the progress bar twice
    assert main(["restore", "x", "--epochs", "0", "--points", "16", "--neurons", "4",
                 "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "training:" not in captured.err
    assert "model.h5 holds the untrained net (no epoch was run); best n/a" in captured.out


def test_backend_cuda_without_cupy_is_a_usage_error(tmp_path):
    # it said to set PUZZLELIB_BACKEND and exited 1
    code = ("import sys; sys.modules['cupy'] = None\n"
            "from PuzzleLib.Cli.main import main\n"
            "sys.exit(main(['restore', 'x', '--backend', 'cuda', '-q', '--out', %r]))" % str(tmp_path / "o"))
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("PUZZLELIB_BACKEND", None)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 2, res.stderr
    assert res.stderr.splitlines() == [
        "puzzlelib restore: error: --backend cuda: CuPy could not be imported or sees no GPU; install it with "
        "pip install 'puzzlelib[cuda12]' (or [cuda13]), or use --backend cpu"]


def test_importing_and_running_the_library_prints_nothing(tmp_path):
    # every program printed "[PuzzleLib] backend: cpu ..." on import
    code = "import PuzzleLib.Backend.gpuarray, PuzzleLib.Modules, PuzzleLib.Workbench"
    env = dict(os.environ, PUZZLELIB_BACKEND="auto")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 0 and res.stdout == "" and res.stderr == "", res.stderr
