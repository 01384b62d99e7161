import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import RNN
from tests.gradcheck import checkModule


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _reference(rnn, x):
    """A plain numpy loop, uni-directional, one layer, for the forward values."""
    W, R, b = (rnn.vars[k].data.get().astype(np.float64) for k in ("W0", "R0", "b0"))
    H = rnn.hsize
    h = np.zeros((x.shape[1], H))
    c = np.zeros_like(h)
    outs = []
    for t in range(x.shape[0]):
        xw, hr = x[t] @ W + b, h @ R
        if rnn.mode == "lstm":
            p = xw + hr
            i, f, g, o = _sig(p[:, :H]), _sig(p[:, H:2 * H]), np.tanh(p[:, 2 * H:3 * H]), _sig(p[:, 3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
        elif rnn.mode == "gru":
            r, z = _sig(xw[:, :H] + hr[:, :H]), _sig(xw[:, H:2 * H] + hr[:, H:2 * H])
            n = np.tanh(xw[:, 2 * H:] + r * hr[:, 2 * H:])
            h = (1 - z) * n + z * h
        else:
            h = np.maximum(xw + hr, 0) if rnn.mode == "relu" else np.tanh(xw + hr)
        outs.append(h)
    return np.stack(outs)


@pytest.mark.parametrize("mode", ["relu", "tanh", "lstm", "gru"])
def test_forward_matches_loop(mode):
    rnn = RNN(3, 4, mode=mode, getSequences=True, initscheme="gaussian", wscale=0.5)
    rnn.vars["b0"].data.set(np.random.randn(*rnn.vars["b0"].data.shape).astype(np.float32))
    x = np.random.randn(5, 2, 3).astype(np.float32)
    np.testing.assert_allclose(rnn(to_gpu(x)).get(), _reference(rnn, x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["relu", "tanh", "lstm", "gru"])
@pytest.mark.parametrize("direction", ["uni", "bi"])
@pytest.mark.parametrize("getSequences", [False, True])
def test_gradients(mode, direction, getSequences):
    layers = 2 if getSequences else 1
    rnn = RNN(3, 2, layers=layers, mode=mode, direction=direction, getSequences=getSequences)
    for vname, var in rnn.vars.items():
        if vname.startswith("b"):
            var.data.set(0.3 * np.random.randn(*var.data.shape).astype(np.float32))
    analytic, _ = checkModule(rnn, np.random.randn(3, 2, 3))
    assert set(analytic) == {"input0"} | set(rnn.vars)


def test_bidirectional_final_state_and_shapes():
    rnn = RNN(2, 3, direction="bi", mode="tanh")
    seq = RNN(2, 3, direction="bi", mode="tanh", getSequences=True)
    for k in rnn.vars:
        seq.vars[k].data.set(rnn.vars[k].data.get())
    x = to_gpu(np.random.randn(4, 5, 2).astype(np.float32))
    last, full = rnn(x).get(), seq(x).get()
    assert last.shape == (5, 6) and full.shape == (4, 5, 6)
    np.testing.assert_allclose(last[:, :3], full[-1, :, :3], rtol=1e-6)
    np.testing.assert_allclose(last[:, 3:], full[0, :, 3:], rtol=1e-6)
    assert rnn.dataShapeFrom((4, 5, 2)) == (5, 6) and seq.dataShapeFrom((4, 5, 2)) == (4, 5, 6)
    assert seq.gradShapeFrom((4, 5, 6)) == (4, 5, 2)


def test_orthogonal_recurrent_blocks():
    rnn = RNN(2, 4, mode="lstm")
    R = rnn.vars["R0"].data.get()
    for k in range(4):
        block = R[:, 4 * k:4 * (k + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(4), atol=1e-5)


def test_dropout_between_layers_only_in_train_mode():
    rnn = RNN(2, 3, layers=2, dropout=0.5, getSequences=True, mode="tanh")
    x = to_gpu(np.random.randn(3, 4, 2).astype(np.float32))
    np.random.seed(0)
    a = rnn(x).get()
    np.random.seed(1)
    b = rnn(x).get()
    assert not np.allclose(a, b)
    rnn.evalMode()
    np.testing.assert_array_equal(rnn(x).get(), rnn(x).get())


def test_param_grads_without_input_grad_and_blueprint():
    rnn = RNN(3, 2, mode="gru", direction="bi", name="rnn")
    x = to_gpu(np.random.randn(3, 2, 3).astype(np.float32))
    g = to_gpu(np.random.randn(2, 4).astype(np.float32))
    rnn(x)
    rnn.backward(g)
    ref = rnn.vars["W0r"].grad.get().copy()
    rnn(x)
    rnn.backward(g, updGrad=False)
    np.testing.assert_allclose(rnn.vars["W0r"].grad.get(), ref, rtol=1e-6)
    again = Blueprint.load(rnn.save(withBlueprint=True))
    np.testing.assert_allclose(again(x).get(), rnn(x).get(), rtol=1e-6)


def test_errors():
    with pytest.raises(ModuleError, match=r"RNN: unknown mode 'elman'"):
        RNN(2, 2, mode="elman")
    with pytest.raises(ModuleError, match=r"unknown direction 'both'"):
        RNN(2, 2, direction="both")
    with pytest.raises(ModuleError, match=r"dropout must be in \[0, 1\)"):
        RNN(2, 2, dropout=1.0)
    with pytest.raises(ModuleError, match=r"RNN 'r': expected data of shape \(T, N, 2\), got \(3, 2\)"):
        RNN(2, 2, name="r")(to_gpu(np.zeros((3, 2), np.float32)))
