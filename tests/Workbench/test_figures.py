"""restore.png's panels: y limits that show a constant function readably, and a diverged run's figure."""
import warnings

import numpy as np

from PuzzleLib.Workbench.figures import _yLimits
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
        status, out, metrics = restore(tmp_path, "1e3", "--points", "64", "--neurons", "8", "--epochs", "2", "-q",
                                         "--tutorial")
    assert status == 1 and metrics["diverged"]
    assert plt.imread(out + "/restore.png").shape[0] > 400
    assert "UserWarning" not in capsys.readouterr().err


def test_a_very_wide_net_draws_only_its_widest_ranging_neurons(monkeypatch):
    # 100000 hidden neurons took minutes to draw and its map needed gigabytes (a MemoryError traceback)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.gridspec import GridSpec
    from types import SimpleNamespace
    from PuzzleLib.Workbench import figures as plotting

    monkeypatch.setattr(plotting, "MAX_NEURONS_DRAWN", 4)
    x = np.linspace(-1, 1, 9)
    w1, b1, w2 = np.ones(7), -np.linspace(-0.9, 0.9, 7), np.arange(1.0, 8.0)
    contributions = np.maximum(np.outer(x, w1) + b1, 0) * w2
    contributions[:, 0] = 0.0  # never active
    fig = plt.figure()
    plotting._drawNeurons(fig, GridSpec(3, 2, figure=fig), 1, x, contributions, (w1[None, :], b1),
                          SimpleNamespace(activation="relu"))
    lines, image = fig.axes[0], fig.axes[2]
    assert len(lines.lines) == 4 + 1  # the four widest terms and the zero line
    assert "6 bends in the range" in lines.get_title() and "1 never active" in lines.get_title()
    assert "the 4 widest-ranging of 6 drawn" in lines.get_title()
    assert image.images[0].get_array().shape == (4, 9)
    plt.close(fig)



def test_a_long_title_goes_on_two_cut_lines():
    # a data file's full path, or a long formula, ran off both sides of the figure
    from types import SimpleNamespace
    from PuzzleLib.Workbench.figures import _title

    cfg = SimpleNamespace(data="/some/where/deep/" * 8 + "readings.csv", expr=None, hidden=[64] * 10,
                          activation="relu", lr=0.01, batch=10, normalize=True)
    metrics = {"optimizer": "MomentumSGD(learnRate=0.01, momRate=0.9)"}
    first, second = _title(cfg, metrics, width=80).split("\n")
    assert first == "PuzzleLib restore: readings.csv"
    assert len(second) == 80 and second.startswith("64-64-64") and second.endswith("...")
    cfg = SimpleNamespace(data=None, expr="2*sin(x)+5", hidden=[100], activation="relu", lr=0.01, batch=10,
                          normalize=False)
    assert _title(cfg, metrics, width=110) == \
        "PuzzleLib restore: y = 2*sin(x)+5  |  100 hidden, relu, MomentumSGD, lr 0.01, batch 10"
