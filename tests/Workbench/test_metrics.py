"""metrics.py: the relative figures against hand values, and the piecewise-linear writing of a net
checked against the net itself."""
import numpy as np
import pytest

from PuzzleLib.Errors import WorkbenchError
from PuzzleLib.Workbench.engine import buildNet, predict
from PuzzleLib.Workbench.metrics import evaluatePieces, halfMse, piecewiseLinear, summary


def test_summary_against_hand_values():
    # y = 0, 1, 3 (mean 4/3, SST 42/9); pred = 0, 1, 2: SSE 1
    s = summary(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 3.0]), np.array([[0.0], [1.0], [2.0]]))
    assert s["error"] == pytest.approx(1 / 6) and s["rmse"] == pytest.approx(np.sqrt(1 / 3))
    assert s["r2"] == pytest.approx(1 - 9 / 42)
    assert s["relativeRmse"] == pytest.approx(np.sqrt(1 / 3) / np.sqrt(42 / 27))
    assert (s["maxAbsError"], s["maxAbsErrorAt"]) == (1.0, [2.0])
    assert halfMse([1.0, 2.0], [1.0, 4.0]) == 1.0


def test_summary_of_a_constant_target_or_a_diverged_net():
    s = summary(np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.zeros((2, 1)))
    assert s["r2"] is None and s["relativeRmse"] is None and s["error"] == 0.0
    s = summary(np.array([np.nan, 1.0]), np.array([1.0, 2.0]), np.zeros((2, 1)))
    assert s["error"] is None and s["maxAbsErrorAt"] is None


@pytest.mark.parametrize("hidden,activation", [([12], "relu"), ([8, 6], "relu"), ([7], "leakyRelu"),
                                               ([5, 4], "clip")])
def test_pieces_are_the_net(hidden, activation):
    np.random.seed(3)
    net = buildNet(hidden, activation)
    pieces = piecewiseLinear(net)
    assert pieces[0][0] == -np.inf and pieces[-1][1] == np.inf
    assert all(a[1] == b[0] for a, b in zip(pieces[:-1], pieces[1:]))  # in order, touching
    breaks = np.array([p[1] for p in pieces[:-1]])
    x = np.concatenate([np.linspace(-20, 20, 2001), breaks, breaks + 1e-3, breaks - 1e-3])
    x = x.astype(np.float32)
    want = predict(net, x.reshape(-1, 1))[:, 0].astype(np.float64)
    got = evaluatePieces(pieces, x.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4 * max(1.0, np.abs(want).max()))
    if len(hidden) == 1 and activation == "relu":
        assert len(pieces) <= hidden[0] + 1  # one break point per neuron at most


def test_nets_that_cannot_be_written_say_why():
    np.random.seed(0)
    with pytest.raises(WorkbenchError, match="activation tanh is curved"):
        piecewiseLinear(buildNet([4], "tanh"))
    with pytest.raises(WorkbenchError, match="takes 2 inputs"):
        piecewiseLinear(buildNet([4], "relu", inputs=2))
