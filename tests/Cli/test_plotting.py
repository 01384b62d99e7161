"""restore.png's panels: y limits that show a constant function readably, and a diverged run's figure."""
import warnings

import numpy as np

from PuzzleLib.Cli.plotting import _yLimits
from tests.Cli.test_restore import restore


def test_limits_of_a_varying_function_are_its_own_and_the_predictions_within_four_spans():
    ys = np.array([3.0, 7.0])
    assert _yLimits(ys, np.array([4.0, 6.0])) == (3.0, 7.0)
    assert _yLimits(ys, np.array([-100.0, 8.0])) == (3.0 - 16.0, 8.0)


def test_a_constant_function_is_measured_against_its_size():
    # before: a window of rounding noise (1e-6 wide), which hid the untrained net and blew up float32 noise
    bottom, top = _yLimits(np.full(5, 1.0, np.float32), np.array([1.0, 1.004]))
    assert bottom <= 0.95 and top >= 1.05
    bottom, top = _yLimits(np.full(5, 1000.0), np.array([-25.0, 0.0]))
    assert bottom == -25.0 and top == 1000.0
    bottom, top = _yLimits(np.zeros(3), np.full(3, np.nan))
    assert bottom < 0 < top


def test_constant_function_and_diverged_run_draw_without_warnings(tmp_path, capsys):
    import matplotlib.pyplot as plt
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status, out, metrics = restore(tmp_path, "1e3", "--points", "64", "--neurons", "8", "--epochs", "2", "-q")
    assert status == 1 and metrics["diverged"]
    assert plt.imread(out + "/restore.png").shape[0] > 400
    assert "UserWarning" not in capsys.readouterr().err
