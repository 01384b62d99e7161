"""Models exported by PyTorch (torch.onnx.export) import and agree with PyTorch's outputs."""
import warnings

import numpy as np
import pytest

from tests.Converter._onnxcheck import assertClose, runNet

torch = pytest.importorskip("torch", reason="PyTorch is not installed (it is in the bench extra: pip install 'puzzlelib[bench]')")
from torch import nn  # noqa: E402

from PuzzleLib.Converter.ONNX import load  # noqa: E402


def _exportFromTorch(net, example, path, fold=True):
    net.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.from_numpy(example),), path, dynamo=False, opset_version=17,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}},
                          do_constant_folding=fold)


def _compare(net, path, batches, shape):
    ours = load(path)
    ours.evalMode()
    for n in batches:
        x = np.random.randn(n, *shape).astype(np.float32)
        with torch.no_grad():
            expected = net(torch.from_numpy(x)).numpy()
        assertClose(runNet(ours, [x]), [expected], what="batch %d" % n)
    return ours


def test_pytorch_mlp(tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.LeakyReLU(0.1), nn.Dropout(0.2),
                        nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 3), nn.Softmax(dim=1))
    path = str(tmp_path / "mlp.onnx")
    _exportFromTorch(net, np.zeros((2, 5), np.float32), path)
    ours = _compare(net, path, (1, 7), (5,))
    assert [type(m).__name__ for m in ours.graph] == ["Linear", "Activation", "Linear", "Activation", "Linear",
                                                      "Gelu", "Linear", "SoftMax"]


@pytest.mark.parametrize("fold", [True, False], ids=["folded", "batchnorm-kept"])
def test_pytorch_cnn(tmp_path, fold):
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2), nn.ELU(), nn.AvgPool2d(2),
        nn.ConvTranspose2d(8, 4, 2, stride=2), nn.Sigmoid(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(4, 10))
    with torch.no_grad():  # running statistics other than 0 and 1
        net[1].running_mean.uniform_(-0.5, 0.5)
        net[1].running_var.uniform_(0.5, 1.5)
    path = str(tmp_path / "cnn.onnx")
    _exportFromTorch(net, np.zeros((2, 3, 16, 16), np.float32), path, fold=fold)
    ours = _compare(net, path, (1, 4), (3, 16, 16))
    kinds = {type(m).__name__ for m in ours.graph}
    assert {"Conv2D", "MaxPool2D", "AvgPool2D", "Deconv2D", "Flatten", "Linear"} <= kinds
    assert ("BatchNorm2D" in kinds) == (not fold)
