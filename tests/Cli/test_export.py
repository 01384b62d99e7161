"""``puzzlelib export``: restore's model.h5 as an ONNX model that ONNX Runtime runs to the same predictions."""
import os

import numpy as np
import pytest

from PuzzleLib.Cli.main import main

ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (pip install 'puzzlelib[onnx]')")


@pytest.fixture
def model(smallRun):
    status, out, metrics = smallRun
    assert status == 0
    return os.path.join(out, "model.h5")


def _predictions(model, xs, capsys):
    assert main(["predict", model] + ["%r" % x for x in xs]) == 0
    lines = capsys.readouterr().out.strip().splitlines()[1:]
    return np.array([float(line.split(",")[1]) for line in lines])


def test_export_runs_in_onnxruntime_to_the_same_predictions(model, tmp_path, capsys):
    target = str(tmp_path / "model.onnx")
    assert main(["export", model, target]) == 0
    out = capsys.readouterr().out
    assert out.startswith("wrote %s: " % target) and "input data_0 [batch, 1]" in out
    xs = np.linspace(-3, 3, 25).astype(np.float32)
    sess = ort.InferenceSession(target, providers=["CPUExecutionProvider"])
    onnxPred = sess.run(None, {"data_0": xs.reshape(-1, 1)})[0][:, 0]
    expected = _predictions(model, xs.tolist(), capsys)
    np.testing.assert_allclose(onnxPred, expected, rtol=1e-5, atol=1e-6)


def test_an_inshape_the_net_refuses_is_one_line(model, tmp_path, capsys):
    target = str(tmp_path / "model.onnx")
    assert main(["export", model, target, "--inshape", "1,3"]) == 2
    err = capsys.readouterr().err
    assert "Linear 'net.0' cannot take the input of shape (1, 3)" in err and err.count("\n") == 1, err
    assert not os.path.exists(target)


def test_a_malformed_inshape_is_a_usage_error(model, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["export", model, str(tmp_path / "model.onnx"), "--inshape", "1,x"])
    assert e.value.code == 2
    assert "--inshape takes sizes separated by commas" in capsys.readouterr().err


def test_missing_or_foreign_files_are_refused(tmp_path, capsys):
    assert main(["export", str(tmp_path / "none.h5"), str(tmp_path / "m.onnx")]) == 2
    assert "does not exist" in capsys.readouterr().err
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5")
    assert main(["export", str(junk), str(tmp_path / "m.onnx")]) == 2
    assert "cannot load %s" % junk in capsys.readouterr().err
    assert main(["export", str(junk), str(tmp_path / "m.txt")]) == 2
    assert "must end in .onnx" in capsys.readouterr().err
    assert os.listdir(str(tmp_path)) == ["junk.h5"]
